"""What a client sends cannot grow /metrics: rejected fields of heartbeats are
counted under bounded labels, like those of OpenLineage events."""

from lineage import Settings
from server_fixtures import serve
from test_components import beat


def test_a_bad_item_at_any_index_is_one_label(tmp_path):
    with serve(Settings.from_env({}, db=str(tmp_path / "lineage.db"))) as client:
        bad = [beat(output=[{"name": "ok", "type": "topic"}] * i + [7]) for i in range(30)]
        answer = client.post("/api/v1/heartbeats/batch", json=bad)
        assert answer.status_code == 200 and answer.json()["failed"] == 30
        assert {f["field"] for f in answer.json()["failed_events"]} == {f"output[{i}]" for i in range(30)}
        lines = [line for line in client.get("/metrics").text.splitlines()
                 if line.startswith("lineage_events_rejected_total{")]
    assert lines == ['lineage_events_rejected_total{field="output[]"} 30.0']
