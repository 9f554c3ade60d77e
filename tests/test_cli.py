"""The lineage command on real files."""

import json

import pytest

from conftest import CORPUS, food_delivery
from lineage._cli import main


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("LINEAGE_DB", str(path))
    monkeypatch.delenv("LINEAGE_GREMLIN_URL", raising=False)
    return path


def test_ingest_reports_counts_and_rejects(db, tmp_path, capsys):
    ndjson = tmp_path / "events.ndjson"
    lines = [json.dumps(e) for e in food_delivery()[:4]] + [json.dumps({"eventTime": "x", "run": {}})]
    ndjson.write_text("\n".join(lines) + "\n")
    assert main(["ingest", str(ndjson)]) == 1
    out = capsys.readouterr().out
    assert "received 5, accepted 4, duplicates 0, rejected 1" in out
    assert "rejected #4: eventTime" in out
    assert main(["ingest", str(CORPUS / "food-delivery-events.json")]) == 0
    assert "accepted 22, duplicates 4, rejected 0" in capsys.readouterr().out


def test_demo_is_idempotent_and_queryable_with_gremlin(db, capsys):
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    assert main(["demo"]) == 0
    assert "0 new events" in capsys.readouterr().out
    assert "new events, 0 already present" in first
    assert main(["gremlin", "-c", "g.V().has('dataset_id', 'gold/customers').has_label('Dataset')"
                 ".in_('TRAINED_ON').values('model_id')"]) == 0
    assert sorted(capsys.readouterr().out.split()) == ["churn_predictor@2", "churn_predictor@3"]


def test_rebuild_replays_the_log(db, capsys):
    main(["demo"])
    assert main(["gremlin", "-c", "g.V().drop()"]) == 0   # uncommitted: the shell never commits by itself
    capsys.readouterr()
    assert main(["rebuild"]) == 0
    assert "from 41 logged events" in capsys.readouterr().out
    main(["gremlin", "-c", "g.V().has_label('Model').count()"])
    assert capsys.readouterr().out.strip() == "3"


def test_errors_are_one_line_with_a_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LINEAGE_BATCH_SIZE", "zero")
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lineage: LINEAGE_BATCH_SIZE='zero' is not valid")
    monkeypatch.delenv("LINEAGE_BATCH_SIZE")
    assert main(["ingest", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
