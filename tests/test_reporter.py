"""The heartbeat Reporter in real processes against a real server, and request ids chained
through a three-step pipeline."""

import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import datetime, timedelta

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport

from lineage import LineageStore
from lineage.capture import Reporter
from lineage.catalog import liveness
from lineage.catalog.sinks import HttpSink, ListSink
from server_fixtures import gql, serve

COMPONENT = textwrap.dedent("""
    import sys, time
    from lineage.capture import Reporter
    from lineage.catalog.sinks import HttpSink
    Reporter("sub-mapper", name="Sub mapper", component_type="mapper", inputs=[("in", "topic")],
             outputs=[("out", "topic")], sink=HttpSink(sys.argv[1]), heartbeat_time=1,
             instance_id=sys.argv[2]).start()
    while True:
        time.sleep(0.05)
""")


@pytest.fixture
def server(settings, store):
    with serve(settings) as client:
        yield client


def _instance(client, instance_id):
    for c in client.get("/api/v1/components").json()["components"]:
        for i in c["instances"]:
            if i["instance_id"] == instance_id:
                return i
    return None


def _start(tmp_path, client, instance_id):
    script = tmp_path / "component.py"
    script.write_text(COMPONENT)
    proc = subprocess.Popen([sys.executable, str(script), str(client.base_url).rstrip("/"), instance_id])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _instance(client, instance_id)
        if found and found["status"] == "RUNNING":
            return proc
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the component never reported RUNNING")


def test_sigterm_reports_terminated(server, tmp_path):
    proc = _start(tmp_path, server, "term-1")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == -signal.SIGTERM     # the component still dies of the signal
    instance = _instance(server, "term-1")
    assert (instance["status"], instance["state"]) == ("TERMINATED", "gone")


def test_sigkill_goes_late_then_gone(server, settings, tmp_path):
    proc = _start(tmp_path, server, "kill-1")
    proc.kill()
    proc.wait(timeout=20)
    last = datetime.fromisoformat(_instance(server, "kill-1")["last_seen"].replace("Z", "+00:00"))
    with LineageStore(settings) as store:
        def state(after):
            items = liveness.components(store.graph, now=last + timedelta(seconds=after), gone_intervals=10)
            return items[0]["instances"][0]["state"], items[0]["instances"][0]["status"]
        assert state(1) == ("live", "RUNNING")
        assert state(3) == ("late", "RUNNING")
        assert state(11) == ("gone", "RUNNING")


def test_reporter_lifecycle_catalog_and_switches():
    sink = ListSink()
    with Reporter("m", component_type="mapper", sink=sink, heartbeat_time=0.1, handle_signals=False) as reporter:
        reporter.register_data_catalog("bronze/orders", "Orders", "text/csv", {"author": "Jo"})
        reporter.update_data_catalog("bronze/orders")
        time.sleep(0.35)
    statuses = [m["status"] for m in sink.of("heartbeats")]
    assert statuses[0] == "STARTED" and statuses[-1] == "COMPLETED" and statuses.count("RUNNING") >= 2
    assert sink.of("catalog")[0] == {"id": "bronze/orders", "title": "Orders", "source_mime_type": "text/csv",
                                     "author": "Jo"}
    assert set(sink.of("catalog")[1]) == {"id", "last_updated_at"}

    quiet = ListSink()
    Reporter("m", sink=quiet, enabled=False, handle_signals=False).start().stop()
    assert quiet.messages == []

    with pytest.raises(ValueError):
        with Reporter("m", sink=(crashed := ListSink()), handle_signals=False):
            raise ValueError("boom")
    assert crashed.of("heartbeats")[-1]["status"] == "TERMINATED"


def test_an_unreachable_sink_never_breaks_the_component():
    started = time.monotonic()
    reporter = Reporter("m", sink=HttpSink("http://127.0.0.1:9", timeout=0.5), heartbeat_time=0.05,
                        handle_signals=False).start()
    time.sleep(0.2)
    reporter.stop(timeout=3)
    assert time.monotonic() - started < 10


def test_request_ids_chain_through_a_three_step_pipeline(server):
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=str(server.base_url).rstrip("/"))))
    steps = [("ingest", None, "raw"), ("clean", "raw", "clean"), ("score", "clean", "scores")]
    previous: list[str] = []
    run_ids = []
    for name, source, target in steps:
        reporter = Reporter(name, component_type="mapper", sink=ListSink(), handle_signals=False,
                            outputs=[(target, "topic")], data_source=("pos", "database"))
        request_id = reporter.new_request_id()
        run = Run(runId=str(uuid.uuid4()), facets={"audit": reporter.audit_facet(request_id, previous)})
        client.emit(RunEvent(eventType=RunState.COMPLETE, eventTime=datetime.now().isoformat() + "Z", run=run,
                             job=Job(namespace="pipeline", name=name), producer="https://example.com/capture",
                             inputs=[InputDataset(namespace="topic", name=source)] if source else [],
                             outputs=[OutputDataset(namespace="topic", name=target)]))
        assert request_id.startswith(f"{target}:")
        previous = [request_id]
        run_ids.append(run.runId)
    query = """query($id: String!) { run(runId: $id) { runId pipelineId audit { requestId execPath inputRequestIds
               dataSourceName } inputRuns { runId pipelineId audit { requestId inputRequestIds }
               inputRuns { runId pipelineId inputRuns { runId } } } } }"""
    last = gql(server, query, id=run_ids[2])["data"]["run"]
    assert last["audit"]["execPath"] == "score" and last["audit"]["dataSourceName"] == "pos"
    middle = last["inputRuns"][0]
    assert middle["runId"] == run_ids[1] and middle["pipelineId"] == "pipeline/clean"
    assert last["audit"]["inputRequestIds"] == [middle["audit"]["requestId"]]
    first = middle["inputRuns"][0]
    assert first["runId"] == run_ids[0] and first["inputRuns"] == []


def test_the_capture_sdk_chains_request_ids_through_three_steps(server):
    from lineage.capture import LineageTracker

    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=str(server.base_url).rstrip("/"))))
    with LineageTracker(client=client, background=False) as tracker:
        steps = [("ingest_orders", [], ["bronze/orders"]), ("clean_orders", ["bronze/orders"], ["silver/orders"]),
                 ("score_orders", ["silver/orders"], ["gold/scores"])]
        run_ids = []
        for name, inputs, outputs in steps:
            with tracker.operation(name, inputs=inputs, outputs=outputs, version="v1") as op:
                pass
            run_ids.append(op.run_id)
        tracker.flush()
    query = """query($id: String!) { run(runId: $id) { pipelineId audit { requestId execPath inputRequestIds }
               inputRuns { runId audit { requestId inputRequestIds } inputRuns { runId inputRuns { runId } } } } }"""
    last = gql(server, query, id=run_ids[2])["data"]["run"]
    assert last["audit"]["requestId"].startswith("gold/scores:")
    assert last["audit"]["execPath"] == "default/score_orders"
    middle = last["inputRuns"][0]
    assert middle["runId"] == run_ids[1] and last["audit"]["inputRequestIds"] == [middle["audit"]["requestId"]]
    assert middle["audit"]["requestId"].startswith("silver/orders:")
    assert middle["inputRuns"][0]["runId"] == run_ids[0] and middle["inputRuns"][0]["inputRuns"] == []
