"""``lineage replay`` / ``lineage root-cause`` and GraphQL ``rootCause`` over a captured pipeline."""

from __future__ import annotations

import json

import pytest

from conftest import make_settings
from lineage import LineageTracker, set_global_tracker
from lineage._cli import main
from server_fixtures import gql, serve
from test_replay import STEPS, Pipeline


@pytest.fixture
def captured(store, tmp_path, monkeypatch, backend_name):
    """Two runs of the pipeline, the second after the body of price changed; the CLI reads them."""
    replay_dir = tmp_path / "replay"
    folder = tmp_path / "code"
    folder.mkdir()
    pipeline = Pipeline(folder, f"steps_cli_{abs(hash(str(tmp_path))) % 10**8}")
    tracker = LineageTracker(store=store, replay_dir=replay_dir)
    set_global_tracker(tracker)
    try:
        good = pipeline.run(tracker)
        pipeline.write(STEPS.replace("* _rate(base)\n    return out", "* _rate(base) + 1\n    return out", 1))
        bad = pipeline.run(tracker)
    finally:
        set_global_tracker(None)
        tracker.close()
    for name in ("LINEAGE_DB", "LINEAGE_GREMLIN_URL", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    if store.settings.gremlin_url:
        monkeypatch.setenv("LINEAGE_GREMLIN_URL", store.settings.gremlin_url)
    else:
        monkeypatch.setenv("LINEAGE_DB", store.settings.db_path)
    monkeypatch.setenv("LINEAGE_REPLAY_DIR", str(replay_dir))
    yield {"good": good, "bad": bad, "pipeline": pipeline, "replay_dir": replay_dir,
           "settings": make_settings(backend_name, tmp_path, replay_dir=str(replay_dir))}
    pipeline.close()


def test_replay_command_reports_each_step(captured, capsys):
    assert main(["replay", captured["good"]]) == 0
    out = capsys.readouterr().out
    assert out.count("reproduced") == 3 and "clean" in out and "aggregate" in out

    assert main(["replay", captured["good"], "--current", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [s["status"] for s in report["steps"]] == ["reproduced", "diverged", "reproduced"]
    assert report["firstDivergence"] == 1


def test_replay_command_what_if_lists_the_affected_model(captured, capsys):
    module = captured["pipeline"].module.__name__
    code = main(["replay", captured["good"], "--what-if", "--function", f"{module}:price_with_discount",
                 "--step", f"{module}.price"])
    out = capsys.readouterr().out
    assert code == 0 and "affected model: revenue_model@1" in out and "diverged" in out


def test_replay_command_names_a_bad_argument(captured, capsys):
    assert main(["replay", "no-such-run"]) == 1
    assert "no-such-run" in capsys.readouterr().err
    assert main(["replay", captured["good"], "--param", "nokey"]) == 1
    assert "a parameter is key=value, e.g. min_qty=2" in capsys.readouterr().err


def test_root_cause_command_names_the_step_and_shows_the_diff(captured, capsys):
    assert main(["root-cause", "--good", captured["good"], "--bad", captured["bad"]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("code_change:") and ".price" in out and "+    out[\"amount\"]" in out

    assert main(["root-cause", "--good", captured["good"], "--bad", captured["bad"], "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "code_change" and result["oldVersion"] != result["newVersion"]
    assert main(["root-cause", "--dataset", "gold/revenue"]) == 1


def test_graphql_root_cause(captured):
    query = """query($good: String, $bad: String) { rootCause(goodRunId: $good, badRunId: $bad) {
        verdict functionId oldVersion newVersion sourceDiff path { pipelineId outputsMatched } } }"""
    with serve(captured["settings"]) as client:
        answer = gql(client, query, good=captured["good"], bad=captured["bad"])
        missing = gql(client, "{ rootCause(goodRunId: \"x\") { verdict } }")
        model = gql(client, '{ modelLineage(modelName: "revenue_model") { reproducibilityLevel unverified } }')
    assert "errors" not in answer, answer
    cause = answer["data"]["rootCause"]
    assert cause["verdict"] == "code_change" and cause["functionId"].endswith(".price")
    assert cause["oldVersion"] != cause["newVersion"] and "_rate(base) + 1" in cause["sourceDiff"]
    assert [p["outputsMatched"] for p in cause["path"]] == [True, False]
    assert missing["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert model["data"]["modelLineage"] == {"reproducibilityLevel": "unreproducible", "unverified": []}


def test_checkpoints_command_lists_a_stream_and_replays_a_range(captured, capsys, store):
    from test_replay import _stream
    tracker = LineageTracker(store=store, replay_dir=captured["replay_dir"])
    set_global_tracker(tracker)
    try:
        _stream(tracker, captured["pipeline"], 5)
    finally:
        set_global_tracker(None)
        tracker.close()
    assert main(["checkpoints", "orders_stream"]) == 0
    out = capsys.readouterr().out
    assert "checkpoints of orders_stream: 5" in out and out.count("COMPLETE") == 5
    assert main(["checkpoints", "orders_stream", "--json"]) == 0
    assert [c["sequence"] for c in json.loads(capsys.readouterr().out)] == [1, 2, 3, 4, 5]

    assert main(["replay", "orders_stream@3", "--to", "orders_stream@5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reproduced"] and len(report["steps"]) == 6
    assert main(["replay", "orders_stream@9"]) == 1
    assert "stream orders_stream has no checkpoint 9; list them with lineage checkpoints orders_stream" \
        in capsys.readouterr().err
