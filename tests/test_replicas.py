"""Two `lineage serve` processes on one graph, as the Helm chart runs them.

Concurrent clients post overlapping events (the same datasets and jobs, in
shuffled order, some twice and to both processes) through both. No client may
see a 5xx; the graph must equal what one embedded writer builds from the same
events, every property included; and `lineage rebuild` run beside either
process must rebuild exactly that graph from the shared event log.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from lineage import LineageStore, Settings
from lineage._model import AUDIT_KEYS

from conftest import BACKENDS, GREMLIN_URL

JOBS = [f"etl_{i}" for i in range(5)]
DATASETS = [f"warehouse.table_{i}" for i in range(20)]


def overlapping_events(count: int, seed: int = 11) -> list[dict]:
    """Runs of five jobs over twenty shared datasets, with versions, states and
    times that only merge right if every rule holds under concurrency."""
    rng = random.Random(seed)
    events = []
    for n in range(count // 2):
        job = JOBS[n % len(JOBS)]
        run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        inputs = rng.sample(DATASETS, 3)
        outputs = rng.sample([d for d in DATASETS if d not in inputs], 2)
        start = 1_700_000_000 + rng.randrange(100_000)
        for step, state in enumerate(("START", rng.choice(["COMPLETE", "FAIL", "RUNNING"]))):
            at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + step * 60)) + f".{rng.randrange(10**6):06d}Z"
            events.append({
                "eventType": state, "eventTime": at, "producer": "https://example.com/replica-test",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent",
                "run": {"runId": run_id}, "job": {"namespace": "replicas", "name": job},
                "inputs": [{"namespace": "replicas", "name": d} for d in inputs],
                "outputs": [{"namespace": "replicas", "name": d,
                             "facets": {"version": {
                                 "_producer": "https://example.com/replica-test",
                                 "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/DatasetVersionDatasetFacet.json",
                                 "datasetVersion": f"v{rng.randrange(1000)}"}}} for d in outputs],
            })
    rng.shuffle(events)
    return events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def backend_env(backend: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    env["LINEAGE_LOG_LEVEL"] = "WARNING"
    if backend in ("embedded", "gremlite"):
        env["LINEAGE_DB"] = str(tmp_path / "shared.db")
        if backend == "gremlite":   # the same file, read and written in Gremlin
            env["LINEAGE_EMBEDDED_ENGINE"] = "gremlin"
    else:
        env["LINEAGE_GREMLIN_URL"] = GREMLIN_URL
    return env


@contextmanager
def serve_process(env: dict[str, str], log: Path):
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "lineage._cli", "serve", "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"lineage serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def hammer(urls: list[str], events: list[dict], clients: int) -> list[str]:
    """Each client posts its share, alternating processes; every fifth request is a
    small batch, and each client re-sends one event of another client."""
    problems: list[str] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        mine = events[index::clients] + [events[(index * 7 + 3) % len(events)]]
        sessions = [httpx.Client(base_url=u, timeout=120) for u in urls]
        try:
            i = 0
            turn = index
            while i < len(mine):
                session = sessions[turn % len(sessions)]
                turn += 1
                if turn % 5 == 0:
                    r = session.post("/api/v1/lineage/batch", json=mine[i:i + 3])
                    i += 3
                else:
                    r = session.post("/api/v1/lineage", json=mine[i])
                    i += 1
                if r.status_code >= 300 or (r.status_code == 200 and r.json()["failed"]):
                    with lock:
                        problems.append(f"{r.status_code} {r.text[:300]}")
        finally:
            for s in sessions:
                s.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return problems


def lineage_only(snapshot: dict) -> dict:
    """A snapshot without the audit trail: events sent over HTTP record who sent them,
    the single writer's direct ingest does not."""
    vertices = sorted(((label, [p for p in props if p[0] not in AUDIT_KEYS]) for label, props in snapshot["vertices"]),
                      key=repr)
    return {**snapshot, "vertices": vertices}


def one_writer_snapshot(events: list[dict], tmp_path: Path) -> dict:
    """The whole graph one embedded writer makes of ``events``: what replicas must agree on."""
    with LineageStore(Settings.from_env({}, db=str(tmp_path / "single.db"))) as single:
        single.ingest(events)
        return single.snapshot()


def open_store(backend: str, tmp_path: Path) -> LineageStore:
    if backend in ("embedded", "gremlite"):
        engine = "sql" if backend == "embedded" else "gremlin"
        return LineageStore(Settings.from_env({}, db=str(tmp_path / "shared.db"), embedded_engine=engine))
    return LineageStore(Settings.from_env({}, gremlin_url=GREMLIN_URL))


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_agree_with_one_writer(backend, tmp_path):
    events = overlapping_events(96)
    expected = one_writer_snapshot(events, tmp_path)
    if backend not in ("embedded", "gremlite"):
        with open_store(backend, tmp_path) as store:
            store.clear_graph(events=True)
    env = backend_env(backend, tmp_path)
    with serve_process(env, tmp_path / "a.log") as a, serve_process(env, tmp_path / "b.log") as b:
        problems = hammer([a, b], events, clients=8)
        assert problems == []
        listed = httpx.get(b + "/api/v1/events/lineage", params={"limit": 1000}).json()["events"]
        assert len(listed) == len(events)

    with open_store(backend, tmp_path) as store:
        assert store.event_count() == len(events)
        assert lineage_only(store.snapshot()) == lineage_only(expected)

    for log in ("a", "b"):   # rebuild where either process ran: the log is shared
        run = subprocess.run([sys.executable, "-m", "lineage._cli", "rebuild"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        assert f"from {len(events)} logged events" in run.stdout, (log, run.stdout)
        with open_store(backend, tmp_path) as store:
            assert lineage_only(store.snapshot()) == lineage_only(expected)


def wait_applied(url: str, timeout: float = 300) -> None:
    """Poll until every logged event is applied (the caller of ack=logged's way to wait)."""
    deadline = time.monotonic() + timeout
    while (pending := httpx.get(url + "/api/v1/events/pending", timeout=30).json()["pending"]):
        assert time.monotonic() < deadline, f"{pending} logged events still not applied"
        time.sleep(0.3)


needs_server = pytest.mark.skipif(not GREMLIN_URL, reason="the inbox is a Gremlin Server's: set LINEAGE_TEST_GREMLIN_URL")


@needs_server
def test_janusgraph_logged_acknowledgements_from_two_processes_agree_with_one_writer(tmp_path):
    """202 once the raw event is in the shared log (no lock taken); once the replicas have
    applied everything the graph and the log are exactly one writer's, rebuild too."""
    events = overlapping_events(96, seed=12)
    expected = one_writer_snapshot(events, tmp_path)
    with open_store("janusgraph", tmp_path) as store:
        store.clear_graph(events=True)
    env = {**backend_env("janusgraph", tmp_path), "LINEAGE_INGEST_ACK": "logged"}
    with serve_process(env, tmp_path / "a.log") as a, serve_process(env, tmp_path / "b.log") as b:
        first = httpx.post(a + "/api/v1/lineage", json=events[0])
        assert first.status_code == 202, first.text
        assert first.json()["status"] == "logged" and first.json()["applied"] is False
        problems = hammer([a, b], events, clients=8)
        assert problems == []
        wait_applied(a)
        assert httpx.get(b + "/api/v1/events/pending").json() == {"pending": 0}
        listed = httpx.get(b + "/api/v1/events/lineage", params={"limit": 1000}).json()["events"]
        assert len(listed) == len(events)

    with open_store("janusgraph", tmp_path) as store:
        assert store.event_count() == len(events)
        assert store.pending_count() == 0
        assert lineage_only(store.snapshot()) == lineage_only(expected)
    run = subprocess.run([sys.executable, "-m", "lineage._cli", "rebuild"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert f"from {len(events)} logged events" in run.stdout, run.stdout
    with open_store("janusgraph", tmp_path) as store:
        assert lineage_only(store.snapshot()) == lineage_only(expected)


@needs_server
def test_janusgraph_request_chooses_its_acknowledgement(tmp_path):
    events = overlapping_events(4, seed=13)
    with open_store("janusgraph", tmp_path) as store:
        store.clear_graph(events=True)
    env = {**backend_env("janusgraph", tmp_path), "LINEAGE_INGEST_ACK": "logged"}
    with serve_process(env, tmp_path / "a.log") as a:
        applied = httpx.post(a + "/api/v1/lineage", params={"ack": "applied"}, json=events[0])
        assert applied.status_code == 201 and applied.json()["status"] == "created"
        run_id = events[0]["run"]["runId"]
        with open_store("janusgraph", tmp_path) as store:   # read-your-writes: there at once
            assert store.g.V().has("run_id", run_id).has_label("Run").count().next() == 1
        batch = httpx.post(a + "/api/v1/lineage/batch", json=events[1:])
        assert batch.status_code == 202 and batch.json()["accepted"] == 3 and batch.json()["applied"] is False
        again = httpx.post(a + "/api/v1/lineage", json=events[1])
        assert again.status_code == 202 and again.json()["status"] == "duplicate"
        bad = httpx.post(a + "/api/v1/lineage", params={"ack": "soon"}, json=events[0])
        assert bad.status_code == 400 and "ack" in bad.text
        wait_applied(a)
    with open_store("janusgraph", tmp_path) as store:
        assert store.event_count() == 4


@needs_server
def test_janusgraph_events_a_stopped_replica_logged_are_applied_by_another(tmp_path):
    """Events logged by a replica that stopped before they were applied are not lost: a
    replica started later takes the applier's lease and applies them, and the graph is
    one writer's."""
    from lineage._events import parse_event

    events = overlapping_events(10, seed=14)
    expected = one_writer_snapshot(events, tmp_path)
    with open_store("janusgraph", tmp_path) as store:
        store.clear_graph(events=True)
        assert store.log_pending([store.prepare(parse_event(e)) for e in events]) == [True] * len(events)
        assert store.pending_count() == len(events)
    env = {**backend_env("janusgraph", tmp_path), "LINEAGE_INGEST_ACK": "logged", "LINEAGE_APPLIER_LEASE_SECONDS": "2"}
    with serve_process(env, tmp_path / "a.log") as a:
        wait_applied(a, timeout=120)
    with open_store("janusgraph", tmp_path) as store:
        assert store.event_count() == len(events)
        assert lineage_only(store.snapshot()) == lineage_only(expected)


@needs_server
def test_janusgraph_one_process_at_a_time_holds_the_applier_lease():
    from lineage._lease import Lease

    name = f"test-{uuid.uuid4().hex}"
    with open_store("janusgraph", Path(".")) as store:
        first, second = Lease(store.g, name, 2.0), Lease(store.g, name, 2.0)
        assert first.hold() and first.held()
        assert not second.hold()
        assert first.hold()                  # its own: renewed (or still fresh)
        first.release()
        assert not first.held()
        assert second.hold()                 # released: taken at once
        time.sleep(2.2)                      # run out without renewal: anyone may take it
        assert first.hold() and not second.hold()
        store.g.V().has("lease_name", name).drop().iterate()
