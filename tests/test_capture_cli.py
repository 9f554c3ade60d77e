"""`lineage runs` shows what capture recorded: code versions, changes between runs, outputs."""

import json

import pandas as pd

from lineage import LineageTracker, track_lineage
from lineage._cli import main


def test_runs_show_code_versions_changes_and_fingerprints(store, monkeypatch, capsys, tmp_path):
    for name in ("LINEAGE_DB", "LINEAGE_GREMLIN_URL", "LINEAGE_DEFAULT_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    if store.settings.gremlin_url:
        monkeypatch.setenv("LINEAGE_GREMLIN_URL", store.settings.gremlin_url)
    else:
        monkeypatch.setenv("LINEAGE_DB", store.settings.db_path)
    monkeypatch.setenv("COLUMNS", "250")
    with LineageTracker(store=store) as tracker:
        for factor in (2, 3):
            source = tmp_path / "scale_job.py"
            source.write_text(f"def scale(frame, factor={factor}):\n    return frame * factor\n")
            exec(compile(source.read_text(), str(source), "exec"), scope := {})
            track_lineage(scope["scale"], tracker=tracker, name="scale", outputs=["gold/scaled"])(
                pd.DataFrame({"a": [1, 2, 3]}))
        tracker.flush()
        newest, first = list(tracker.operations.values())[::-1]

    assert main(["runs", "scale", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "code version" in out and newest.code_version[:17] in out and "(changed)" in out
    assert "gold/scaled 3 rows table-v1:" in out

    assert main(["runs", "scale", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["code_changed"] for r in runs] == [True, None]
    assert runs[0]["parameters"] == {"factor": 3} and runs[1]["parameters"] == {"factor": 2}
    assert runs[0]["outputs"] == [{"datasetId": "gold/scaled", "fingerprint": newest.outputs[0].fingerprint,
                                   "version": newest.outputs[0].fingerprint, "rows": 3,
                                   "bytes": newest.outputs[0].bytes}]
    assert runs[1]["code_version"] == first.code_version != runs[0]["code_version"]
