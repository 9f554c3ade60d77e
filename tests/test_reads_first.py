"""LINEAGE_READS_FIRST_MS: the embedded writer lets GraphQL queries in flight finish
first, for a bounded time, and every write still lands."""

import threading
import uuid

import pytest

from conftest import food_delivery
from lineage import ConfigurationError, LineageStore, Settings
from lineage._events import parse_event
from lineage._server.readsfirst import ReadsFirst
from lineage._server.worker import WriteWorker
from server_fixtures import gql, serve


def test_a_writer_waits_for_the_query_in_flight_and_no_longer():
    gate = ReadsFirst(5_000)
    inside, leave = threading.Event(), threading.Event()

    def query():
        with gate.reading():
            inside.set()
            leave.wait(10)

    reader = threading.Thread(target=query)
    reader.start()
    inside.wait(10)
    assert gate.in_flight() == 1
    threading.Timer(0.05, leave.set).start()
    waited = gate.wait_quiet()
    reader.join(10)
    assert 0 < waited < 5 and gate.in_flight() == 0
    assert gate.wait_quiet() == 0.0   # nothing in flight: no wait at all


def test_the_wait_is_bounded_so_steady_reads_cannot_starve_writes(tmp_path):
    settings = Settings.from_env({}, db=str(tmp_path / "lineage.db"))
    gate = ReadsFirst(50)
    worker = WriteWorker(lambda: LineageStore(settings), 500, reads_first=gate)
    try:
        with gate.reading():   # a query that never ends while the events are written
            outcome = worker.submit_sync([parse_event(e) for e in food_delivery()])
        assert all(outcome.fresh) and gate.waited >= 0.05
    finally:
        worker.close()
    with LineageStore(settings) as store:
        assert store.event_count() == len(food_delivery())


def test_under_mixed_load_every_write_lands_and_queries_are_counted(tmp_path):
    settings = Settings.from_env({"LINEAGE_READS_FIRST_MS": "100"}, db=str(tmp_path / "lineage.db"))
    events = food_delivery()
    with serve(settings) as client:
        assert client.post("/api/v1/lineage/batch", json=events).status_code in (200, 201, 207)
        stop, failures, answered = threading.Event(), [], []
        output = next(d for e in events for d in e.get("outputs", []))
        node = f"{output['namespace']}/{output['name']}"

        def read():
            while not stop.is_set():
                answer = gql(client, "query($id: String!) { lineageGraph(nodeId: $id, nodeType: \"Dataset\", "
                                     "depth: 3) { nodeCount } }", id=node)
                if answer.get("errors"):
                    failures.append(answer["errors"])
                else:
                    answered.append(answer["data"]["lineageGraph"]["nodeCount"])

        readers = [threading.Thread(target=read) for _ in range(3)]
        for t in readers:
            t.start()
        try:
            statuses = []
            for event in events[:20]:
                fresh = dict(event, run=dict(event.get("run", {}), runId=str(uuid.uuid4())))
                statuses.append(client.post("/api/v1/lineage", json=fresh).status_code)
        finally:
            stop.set()
            for t in readers:
                t.join(30)
        assert not failures and answered and min(answered) > 1
        gate = client.lineage_app.state.lineage.reads_first
        assert gate.bound == 0.1 and gate.waited > 0 and gate.in_flight() == 0   # the writer let queries go first
        assert statuses and all(s in (200, 201) for s in statuses), statuses
    with LineageStore(settings) as store:
        assert store.event_count() == len(events) + 20


def test_the_setting_is_a_number_of_milliseconds():
    assert Settings.from_env({})["LINEAGE_READS_FIRST_MS"] == 50
    assert Settings.from_env({"LINEAGE_READS_FIRST_MS": "50"})["LINEAGE_READS_FIRST_MS"] == 50
    with pytest.raises(ConfigurationError, match="LINEAGE_READS_FIRST_MS"):
        Settings.from_env({"LINEAGE_READS_FIRST_MS": "-1"})
