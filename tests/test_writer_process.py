"""LINEAGE_WRITER_PROCESS: the serving process validates, a writer process commits.
Real uvicorn, a real writer process on a real file: a 2xx means durable, bad input
is answered as before, the graph equals a single writer's, and a writer process
killed with SIGKILL is replaced while what it had not answered gets 503."""

import copy
import os
import signal
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import food_delivery
from lineage import LineageStore, Settings
from server_fixtures import serve

linux_only = pytest.mark.skipif(not Path("/proc/self/comm").exists(), reason="finds the writer process in /proc")


def _settings(path: Path) -> Settings:
    return Settings.from_env({"LINEAGE_WRITER_PROCESS": "true"}, db=str(path))


def _writer_pids() -> list[int]:
    """Child processes of this one named lineage-writer."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (f"\nPPid:\t{os.getpid()}\n" in (proc / "status").read_text()
                    and (proc / "comm").read_text().strip() == "lineage-writer"):
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found


def _fresh(event: dict) -> dict:
    event = copy.deepcopy(event)
    if "run" in event:
        event["run"]["runId"] = str(uuid.uuid4())
    return event


def _logged(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        return {row[0] for row in con.execute("SELECT fingerprint FROM lineage_events")}


def test_the_graph_equals_a_single_writers_and_bad_input_is_answered_as_before(tmp_path):
    events = food_delivery()
    with serve(_settings(tmp_path / "served.db")) as client:
        half = len(events) // 2
        answers = []

        def post(event: dict) -> None:
            answers.append(client.post("/api/v1/lineage", json=event))
        threads = [threading.Thread(target=post, args=(e,)) for e in events[:half]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(a.status_code == 201 and a.json()["status"] == "created" for a in answers)

        bad = {**events[half], "eventTime": "yesterday"}
        batch = client.post("/api/v1/lineage/batch", json=events[half:] + [bad])
        assert batch.status_code == 200
        assert batch.json()["accepted"] == len(events) - half
        assert [f["field"] for f in batch.json()["failed_events"]] == ["eventTime"]
        single = client.post("/api/v1/lineage", json=bad)
        assert single.status_code == 400 and "eventTime" in single.json()["message"]
        again = client.post("/api/v1/lineage", json=events[0])
        assert again.status_code == 201 and again.json()["status"] == "duplicate"
        assert _writer_pids(), "the events were written by a writer process"
        # as logged: stamped with each request's audit fields
        logged = [e["event"] for e in client.get("/api/v1/events/lineage?limit=1000").json()["events"]]
    assert not _writer_pids(), "shutting down stops the writer process"
    assert len(logged) == len(events)
    with LineageStore(Settings.from_env({}, db=str(tmp_path / "direct.db"))) as direct:
        direct.ingest(logged[::-1])   # one writer, in the order they were logged
        expected = direct.snapshot()
    with LineageStore(Settings.from_env({}, db=str(tmp_path / "served.db"))) as served:
        assert served.snapshot() == expected
        assert served.event_count() == len(events)


@linux_only
def test_a_killed_writer_process_is_replaced_and_nothing_acknowledged_is_lost(tmp_path):
    db = tmp_path / "lineage.db"
    template = food_delivery()
    acknowledged: set[str] = set()
    refused: list = []
    stop = threading.Event()
    with serve(_settings(db)) as client:
        def load(seed: int) -> None:
            n = seed
            while not stop.is_set():
                answer = client.post("/api/v1/lineage", json=_fresh(template[n % len(template)]))
                n += 1
                if answer.status_code == 201:
                    acknowledged.add(answer.json()["fingerprint"])
                else:
                    refused.append(answer)
        threads = [threading.Thread(target=load, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        try:
            while len(acknowledged) < 20:
                time.sleep(0.05)
            [pid] = _writer_pids()
            # stopped first, so a request is surely waiting on it when it is killed
            os.kill(pid, signal.SIGSTOP)
            waiting = []
            probe = threading.Thread(target=lambda: waiting.append(
                client.post("/api/v1/lineage", json=_fresh(template[0]))))
            probe.start()
            time.sleep(0.5)
            os.kill(pid, signal.SIGKILL)
            probe.join(60)
            assert waiting[0].status_code == 503, waiting[0].text
            assert waiting[0].headers["Retry-After"] == "1"
            assert "send it again" in waiting[0].json()["message"].lower()
            deadline = time.monotonic() + 90
            before = len(acknowledged)
            while len(acknowledged) < before + 20:   # the new writer process takes over
                assert time.monotonic() < deadline, "no writes were acknowledged after the restart"
                time.sleep(0.1)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        [new] = _writer_pids()
        assert new != pid
        metrics = client.get("/metrics").text
        assert "lineage_writer_process_restarts_total 1.0" in metrics
    assert all(r.status_code == 503 and r.headers.get("Retry-After") == "1" for r in refused)
    assert acknowledged <= _logged(db)   # every 2xx is in the file


def test_a_writer_process_that_cannot_open_the_file_fails_the_start(tmp_path):
    (tmp_path / "not-a-db").mkdir()
    from lineage._server.writeproc import WriterProcess
    with pytest.raises(Exception, match="(?i)database|directory|unable|open"):
        WriterProcess(Settings.from_env({}, db=str(tmp_path / "not-a-db")), 500)
