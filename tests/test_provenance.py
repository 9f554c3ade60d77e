"""Provenance records from real runs through the real server, their Parquet files,
DuckDB over them, and the recorder's contract with the store."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import make_settings
from lineage import LineageStore
from lineage.provenance import ProvenanceFilter, ProvenanceRecorder, find, run_sql, summary
from lineage.provenance.parquet import SCHEMA
from provenance_events import LANDING, flow, run, run_id
from server_fixtures import gql, serve

LATE = datetime(2024, 5, 1, 23, tzinfo=timezone.utc)


@pytest.fixture
def prov_settings(backend_name, tmp_path):
    def make(**kw):
        values = {"provenance_enabled": True, "provenance_dir": str(tmp_path / "provenance"),
                  "system_name": "prod-east", "provenance_annotations": "customer_id"}
        values.update(kw)
        return make_settings(backend_name, tmp_path, **values)
    return make


@pytest.fixture
def wiped(backend_name, tmp_path):
    """Wipes the remote graph and its event log before a test (the embedded one starts empty)."""
    with LineageStore(make_settings(backend_name, tmp_path / "wipe")) as s:
        if s.settings.gremlin_url:
            s.clear_graph(events=True)


def rows_by(directory: Path, sql: str) -> list[dict]:
    columns, rows = run_sql(directory, sql)
    return [dict(zip(columns, r)) for r in rows]


def test_records_from_real_runs_through_the_server(prov_settings, wiped, tmp_path):
    settings = prov_settings()
    directory = tmp_path / "provenance"
    with serve(settings) as client:
        answer = client.post("/api/v1/lineage/batch", json=flow()).json()
        assert answer["accepted"] == len(flow()) and answer["failed"] == 0
        flushed = client.post("/api/v1/provenance/flush").json()
        assert flushed["records"] == 10 and flushed["pending"] == 0
        assert sorted(Path(p).relative_to(directory).as_posix() for p in flushed["compacted_files"]) == [
            "compacted/prod-east/20240501/10.parquet", "compacted/prod-east/20240501/11.parquet",
            "compacted/prod-east/20240501/12.parquet"]
        assert not list((directory / "raw").rglob("*.parquet"))

        # fan-out: one record per sink, each with only the transforms on its own path
        export = rows_by(directory, f"SELECT * FROM provenance WHERE run_id = '{run_id('export')}' ORDER BY data_sink")
        assert [(r["data_sink"], r["transforms"]) for r in export] == [
            ("s3://exports/orders.parquet", ["etl/clean", "etl/export"]),
            ("warehouse/orders", ["etl/clean", "etl/export"])]
        agg = rows_by(directory, f"SELECT * FROM provenance WHERE run_id = '{run_id('agg')}'")
        assert [(r["data_source"], r["name"], r["transforms"], r["data_sink"]) for r in agg] == [
            ("s3://landing", "orders/2024-05-01.csv", ["etl/clean", "etl/agg"], "gold/daily")]
        # two sources joined: a record per path
        join = rows_by(directory, f"SELECT * FROM provenance WHERE run_id = '{run_id('join')}' ORDER BY data_source")
        assert [(r["data_source"], r["transforms"]) for r in join] == [
            ("postgres://crm:5432", ["etl/join"]), ("s3://landing", ["etl/clean", "etl/join"])]
        failed = rows_by(directory, "SELECT * FROM provenance WHERE final_state = 'FAIL'")
        assert [(r["data_sink"], r["transforms"]) for r in failed] == [(None, ["etl/clean", "etl/agg", "etl/broken"])]
        clean = rows_by(directory, f"SELECT * FROM provenance WHERE run_id = '{run_id('clean')}'")[0]
        assert clean["annotations"] == {"customer_id": "ABC123"}          # 'secret' is not allowed
        assert clean["system_name"] == "prod-east" and clean["final_state"] == "COMPLETE"
        assert (clean["created"], clean["completed"]) == (datetime(2024, 5, 1, 10, 1), datetime(2024, 5, 1, 10, 5))

        # the same records over HTTP and GraphQL
        listed = client.get("/api/v1/provenance", params={"annotation_key": "customer_id",
                                                          "annotation_value": "ABC123"}).json()
        assert [r["run_id"] for r in listed["records"]] == [run_id("clean")]
        counted = client.get("/api/v1/provenance/summary").json()
        assert (counted["total"], counted["by_final_state"], counted["by_system"]) == (
            10, {"COMPLETE": 8, "FAIL": 1, "SPLIT": 1}, {"prod-east": 10})
        assert counted["systems"] == [{"system_name": "prod-east", "records": 10}]
        data = gql(client, """query($f: ProvenanceFilterInput) { provenance(filter: $f) {
                 runId parentRunId dataSink transforms finalState completed annotations { key value } } }""",
                   f={"parentRunId": run_id("split")})
        assert "errors" not in data, data
        assert sorted(r["dataSink"] for r in data["data"]["provenance"]) == ["silver/part_a", "silver/part_b"]
        assert data["data"]["provenance"][0]["completed"] == "2024-05-01T12:25:00.000Z"
        bad = gql(client, '{ provenance(filter: {annotationKey: "customer_id"}) { runId } }')
        assert bad["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
        assert client.get("/api/v1/provenance", params={"limit": "lots"}).status_code == 400
        metrics = client.get("/metrics").text
        assert 'lineage_provenance_records_total{final_state="COMPLETE",system="prod-east"} 8.0' in metrics


def test_the_parquet_schema_is_typed(prov_settings, wiped, tmp_path):
    with LineageStore(prov_settings()) as store:
        store.ingest(flow())
        result = store.provenance.flush(LATE)
    schema = pq.read_schema(result.compaction.files[0])
    assert schema.equals(SCHEMA)
    assert pa.types.is_list(schema.field("transforms").type)
    assert schema.field("transforms").type.value_type == pa.string()
    annotations = schema.field("annotations").type
    assert pa.types.is_map(annotations) and annotations.key_type == annotations.item_type == pa.string()
    assert schema.field("completed").type == pa.timestamp("ms")


def test_resent_and_rebuilt_events_add_no_records(prov_settings, wiped, tmp_path):
    with LineageStore(prov_settings()) as store:
        store.ingest(flow())
        assert store.provenance.pending() == 8
        store.provenance.flush()
        store.ingest(flow())                    # duplicates: nothing new is durable
        store.rebuild()                         # a replay is not a new run
        assert store.provenance.pending() == 0


def test_a_failing_observer_never_fails_the_write(prov_settings, wiped, tmp_path):
    with LineageStore(prov_settings(provenance_enabled=False)) as store:
        def broken(events):
            raise RuntimeError("observer bug")
        store.observers.append(broken)
        result = store.ingest(flow()[:2])
        assert result.accepted == 2 and store.event_count() == 2


def test_a_run_without_datasets_takes_its_pipelines_and_a_terminal_event_alone_suffices(prov_settings, wiped,
                                                                                        tmp_path):
    events = run("lonely", "etl/load", [LANDING], ["silver|loaded"], "2024-05-01T09:05:00Z")
    with LineageStore(prov_settings()) as store:
        store.ingest(events[:1])
        # a new recorder (as after a restart) sees only the terminal event, which names no datasets
        recorder = ProvenanceRecorder(store.settings, lambda: store.provenance.analysis())
        store.observers.append(recorder.observe)
        bare = dict(events[1], inputs=[], outputs=[])
        store.ingest([bare])
        recorder.flush(LATE)
    (record,) = find(tmp_path / "provenance", ProvenanceFilter(data_sink="silver/loaded"))
    assert (record["data_source"], record["transforms"]) == ("s3://landing", ["etl/load"])


def test_the_server_flushes_and_compacts_on_graceful_shutdown(prov_settings, wiped, tmp_path):
    with serve(prov_settings()) as client:
        assert client.post("/api/v1/lineage/batch", json=flow()[:4]).json()["accepted"] == 4
    files = sorted((tmp_path / "provenance" / "compacted").rglob("*.parquet"))
    assert [f.relative_to(tmp_path / "provenance").as_posix() for f in files] == [
        "compacted/prod-east/20240501/10.parquet"]
    assert pq.read_table(files[0]).num_rows == 2


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lineage._cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_two_instances_share_one_directory(tmp_path):
    """Two systems (and two instances of one system) ingest and compact into one directory at once."""
    import os

    directory = tmp_path / "shared"
    now = datetime.now(timezone.utc)
    if now.minute == 59 and now.second > 30:     # keep the whole test inside one hour
        time.sleep(61 - now.second)
        now = datetime.now(timezone.utc)
    day, hour = now.strftime("%Y%m%d"), now.strftime("%H")
    events = tmp_path / "events.json"   # this hour's runs stay raw until a flush compacts the current hour
    events.write_text(re.sub(r"2024-05-01T1[012]:", now.strftime("%Y-%m-%dT%H:"), json.dumps(flow())))
    base = {**os.environ, "LINEAGE_PROVENANCE_ENABLED": "true", "LINEAGE_PROVENANCE_DIR": str(directory),
            "LINEAGE_PROVENANCE_ANNOTATIONS": "customer_id"}
    base.pop("LINEAGE_GREMLIN_URL", None)
    instances = [("east", "prod-east"), ("east2", "prod-east"), ("west", "prod-west")]
    procs = [subprocess.Popen([sys.executable, "-m", "lineage._cli", "ingest", str(events)],
                              env={**base, "LINEAGE_DB": str(tmp_path / f"{name}.db"), "LINEAGE_SYSTEM_NAME": system},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, system in instances]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    raw = sorted(p.name for p in (directory / "raw").rglob("*.parquet"))
    assert len(raw) == 3 and len({name.split("--")[1] for name in raw}) == 3     # one file per instance
    flushes = [subprocess.Popen([sys.executable, "-m", "lineage._cli", "provenance", "flush", "--verbose"],
                                env=base, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in flushes]
    assert all(p.returncode == 0 for p in flushes), outputs
    assert not list((directory / "raw").rglob("*.parquet"))
    compacted = sorted(p.relative_to(directory).as_posix() for p in (directory / "compacted").rglob("*.parquet"))
    assert compacted == [f"compacted/{s}/{day}/{hour}.parquet" for s in ("prod-east", "prod-west")]
    # the two east instances reported the same runs: the same facts, kept once
    assert summary(directory)["by_system"] == {"prod-east": 10, "prod-west": 10}
    query = _cli(base, "provenance", "query", "SELECT system_name, count(DISTINCT run_id) AS runs FROM provenance "
                 "GROUP BY ALL ORDER BY 1", "--format", "json")
    assert query.returncode == 0, query.stderr
    assert [json.loads(line) for line in query.stdout.splitlines()] == [
        {"system_name": "prod-east", "runs": 8}, {"system_name": "prod-west", "runs": 8}]


def test_query_errors_name_the_view_and_columns(tmp_path, capsys):
    from lineage._cli import main

    assert main(["provenance", "query", "SELECT nope FROM provenance", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "the view is 'provenance' with columns run_id" in err.lower()
    assert main(["provenance", "query", "SELECT count(*) AS n FROM provenance", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[2].strip() == "0"


def test_split_children_and_their_parent(prov_settings, wiped, tmp_path):
    with LineageStore(prov_settings()) as store:
        store.ingest(flow())
        store.provenance.flush()
    directory = tmp_path / "provenance"
    parent = run_id("split")
    both = rows_by(directory, f"SELECT run_id, final_state FROM provenance WHERE run_id = '{parent}' "
                              f"OR parent_run_id = '{parent}' ORDER BY completed")
    assert [r["final_state"] for r in both] == ["SPLIT", "COMPLETE", "COMPLETE"]


def readme_recipes() -> dict[str, str]:
    """The SQL recipes of the README's Provenance section, by their first comment line."""
    from conftest import REPO

    text = (REPO / "README.md").read_text()
    section = text[text.index("## Provenance"):text.index("## Retention")]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.S)
    return {block.splitlines()[0].lstrip("- ").strip(): block for block in blocks}


def test_the_readme_recipes_answer_the_example_questions(prov_settings, wiped, tmp_path):
    with LineageStore(prov_settings()) as store:
        store.ingest(flow())
        store.provenance.flush(LATE)
    recipes = readme_recipes()
    directory = tmp_path / "provenance"
    answer = {title: rows_by(directory, sql) for title, sql in recipes.items()}
    assert len(answer) == 6
    assert len(answer["Find my data by name"]) == 9                      # all but the CRM path
    by_annotation = answer["Find by annotation (in DuckDB 1.3 and later, map['key'] is the value itself)"]
    assert [r["run_id"] for r in by_annotation] == [run_id("clean")]
    assert [r["run_id"] for r in answer["Errors from one system"]] == [run_id("broken")]
    assert [(r["data_sink"], r["final_state"], r["cnt"]) for r in answer["Where did data from a source go?"]] == [
        (None, "FAIL", 1), (None, "SPLIT", 1), ("gold/customer_orders", "COMPLETE", 1), ("gold/daily", "COMPLETE", 1),
        ("s3://exports/orders.parquet", "COMPLETE", 1), ("silver/orders", "COMPLETE", 1),
        ("silver/part_a", "COMPLETE", 1), ("silver/part_b", "COMPLETE", 1), ("warehouse/orders", "COMPLETE", 1)]
    assert sorted(r["data_sink"] for r in answer["The children of a split"]) == ["silver/part_a", "silver/part_b"]
    assert len(answer["A run and its immediate children"]) == 3
    assert run_id("split") in recipes["The children of a split"]


def test_the_grafana_dashboard_reads_the_real_api(prov_settings, wiped, tmp_path):
    from conftest import REPO

    dashboard = json.loads((REPO / "deploy" / "grafana" / "provenance-dashboard.json").read_text())
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"run_id", "parent_run_id", "data_source", "data_sink", "name", "annotation_key",
            "annotation_value"} <= variables                         # the spec's filters
    infinity = [t for p in dashboard["panels"] for t in p["targets"] if "url" in t]
    prometheus = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"] if "expr" in t)
    assert {p["title"] for p in dashboard["panels"]} >= {"Total records", "By final state", "By system",
                                                         "Recent provenance records"}
    with serve(prov_settings()) as client:
        client.post("/api/v1/lineage/batch", json=flow())
        client.post("/api/v1/provenance/flush")
        metrics = client.get("/metrics").text
        for name in ("lineage_provenance_records_total", "lineage_provenance_flush_seconds_bucket",
                     "lineage_retention_removed_total"):
            assert name in prometheus and name in metrics
        chosen = {"data_source": "s3://landing", "annotation_key": "customer_id", "annotation_value": "ABC123"}
        for target in infinity:
            params = {p["key"]: chosen.get(p["value"][2:-1], "") if p["value"].startswith("${") else p["value"]
                      for p in target["url_options"]["params"]}
            path = target["url"].replace("${lineage_url}", "")
            answer = client.get(path, params=params)
            assert answer.status_code == 200, answer.text
            data = answer.json()[target["root_selector"]]
            rows = data if isinstance(data, list) else [{"total": data}]
            assert rows, target
            for column in target["columns"]:
                assert all(column["selector"] in row for row in rows), column
            if target["root_selector"] == "records":
                assert [r["run_id"] for r in rows] == [run_id("clean")]


def test_the_server_flushes_and_applies_retention_on_its_schedule(prov_settings, wiped, tmp_path):
    settings = prov_settings(provenance_flush_seconds=1, retention_interval_seconds=1, retention_run_days=1)
    directory = tmp_path / "provenance"
    with serve(settings) as client:
        client.post("/api/v1/lineage/batch", json=flow())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            metrics = client.get("/metrics").text
            if 'lineage_retention_removed_total{kind="runs"} 8.0' in metrics and \
                    'lineage_retention_removed_total{kind="provenance_partitions"} 4.0' in metrics:
                break
            time.sleep(0.2)
        # the 2024 runs were flushed and compacted (their hours have ended), then aged off:
        # three compacted hours and one day of operations, and every Run vertex (older than a day)
        assert 'lineage_provenance_records_total{final_state="COMPLETE",system="prod-east"} 8.0' in metrics
        assert 'lineage_retention_removed_total{kind="runs"} 8.0' in metrics, metrics
        assert 'lineage_retention_removed_total{kind="provenance_partitions"} 4.0' in metrics
        assert gql(client, '{ pipeline(id: "etl/clean") { runs { runId } } }')["data"]["pipeline"]["runs"] == []
        assert gql(client, '{ datasetLineage(datasetId: "gold/daily") { upstreamCount } }')[
            "data"]["datasetLineage"]["upstreamCount"] == 2
    assert not list(directory.rglob("*.parquet"))


def test_the_flush_command_flushes_a_running_server(prov_settings, wiped, tmp_path, capsys):
    from lineage._cli import main

    with serve(prov_settings(api_tokens="s3cret")) as client:
        headers = {"Authorization": "Bearer s3cret"}
        assert client.post("/api/v1/lineage/batch", json=flow(), headers=headers).json()["accepted"] == 16
        url = str(client.base_url)
        assert main(["provenance", "flush", "--url", url]) == 2
        assert "the server answered 401" in capsys.readouterr().err
        assert main(["provenance", "flush", "--url", url, "--token", "s3cret", "--verbose"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "flushed 10 records; merged 3 raw files into 3 compacted files"
        assert [Path(line.strip()).name for line in out[1:]] == ["10.parquet", "11.parquet", "12.parquet"]
    assert main(["provenance", "flush", "--url", url, "--token", "s3cret"]) == 2     # the server is gone
    assert "cannot reach the server" in capsys.readouterr().err


def test_a_flush_that_cannot_write_keeps_the_runs_for_the_next(prov_settings, wiped, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the provenance directory should be")
    with LineageStore(prov_settings(provenance_dir=str(blocker))) as store:
        store.ingest(flow()[:4])
        with pytest.raises(OSError):
            store.provenance.flush()
        assert store.provenance.pending() == 2
        blocker.unlink()
        assert store.provenance.flush().records == 2
