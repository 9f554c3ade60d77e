"""Spark lineage: a PySpark job in local mode (a real JVM) that records itself with
``VersionedSparkJob``, and an event the OpenLineage Spark listener emitted, posted
to our endpoint unchanged.

The PySpark tests are marked ``spark``: one local session for the module, about
20-40 s on the shared 2-core machine (JVM start included); ``-m "not spark"``
leaves them out."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import DATA
from lineage import InvalidArgument, JanusGraphClient
from lineage._ids import NodeKey
from lineage.capture.codeversion import file_version, git_commit
from lineage.integrations.spark import VersionedSparkJob
from server_fixtures import serve

JOB_FILE = DATA / "spark" / "transform_sales.py"


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("lineage-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
               .config("spark.driver.memory", "512m").getOrCreate())
    yield session
    session.stop()


def _job_module():
    spec = importlib.util.spec_from_file_location("transform_sales", JOB_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.spark
def test_a_local_pyspark_job_records_its_lineage_and_code_version(spark, store, tmp_path):
    bronze, silver = tmp_path / "bronze_sales", tmp_path / "silver_sales"
    pq.write_table(pa.table({"store_id": [1, 1, 2, 2, 2], "day": ["d1", "d1", "d1", "d2", "d2"],
                             "amount": [10.0, 5.0, 7.5, 1.0, 2.0]}), tmp_path / "sales.parquet")
    bronze.mkdir()
    shutil.move(tmp_path / "sales.parquet", bronze / "part-0.parquet")
    client = JanusGraphClient(store=store)
    result = _job_module().run(spark, str(bronze), str(silver), client)
    assert result["accepted"] == 2

    rows = pq.read_table(silver).sort_by([("store_id", "ascending"), ("day", "ascending")]).to_pylist()
    assert rows == [{"store_id": 1, "day": "d1", "revenue": 15.0, "orders": 2},
                    {"store_id": 2, "day": "d1", "revenue": 7.5, "orders": 1},
                    {"store_id": 2, "day": "d2", "revenue": 3.0, "orders": 2}]
    assert [d["dataset_id"] for d in client.get_upstream_datasets("silver/sales")] == ["bronze/sales"]
    pipeline = client.queries.node("transform_sales", "Pipeline")
    assert pipeline["code_version"] == file_version(JOB_FILE)
    [run] = client.queries.runs("transform_sales", 5)
    assert run["state"] == "COMPLETE"
    facets = VersionedSparkJob("transform_sales", JOB_FILE).events(spark=spark)[1]["run"]["facets"]
    assert facets["processing_engine"]["version"] == spark.version
    assert facets["spark_applicationDetails"]["master"] == "local[1]"


def test_the_code_version_follows_the_job_file(tmp_path, store):
    job_file = tmp_path / "job.py"
    job_file.write_text("def run(spark):\n    return spark.range(3).count()\n")
    job = VersionedSparkJob("nightly", job_file, ["bronze/sales@v7"], ["silver/sales"])
    first = job.code_version
    job_file.write_text("# reformatted, same code\ndef run(spark):\n\n    return spark.range(3).count()\n")
    assert job.code_version == first
    job_file.write_text("def run(spark):\n    return spark.range(4).count()\n")
    assert job.code_version != first
    assert job.git_commit is None          # tmp_path is not in a git checkout
    events = job.events(run_id="5e2f3c1a-0000-4000-8000-000000000001")
    location = events[0]["job"]["facets"]["sourceCodeLocation"]
    assert (location["type"], location["path"]) == ("file", str(job_file))
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert events[0]["inputs"][0]["facets"]["version"]["datasetVersion"] == "v7"
    assert job.emit_lineage(store, state="FAIL")["accepted"] == 2
    with pytest.raises(InvalidArgument, match="job_file"):
        VersionedSparkJob("nightly", tmp_path / "missing.py")
    with pytest.raises(InvalidArgument, match="state must be"):
        job.emit_lineage(store, state="DONE")


def test_the_job_files_git_commit_rides_in_the_source_location():
    commit = git_commit(JOB_FILE)
    events = VersionedSparkJob("transform_sales", JOB_FILE, ["bronze/sales"], ["silver/sales"]).events()
    location = events[0]["job"]["facets"]["sourceCodeLocation"]
    if commit is None:     # a copy of the tests outside a git checkout
        assert location["type"] == "file" and "version" not in location
    else:
        assert (location["type"], location["version"]) == ("git", commit) and len(commit) == 40


def test_an_event_from_the_openlineage_spark_listener_is_accepted_unchanged(settings, store):
    event = json.loads((DATA / "spark" / "listener-console-event.json").read_text())
    with serve(settings) as http:
        response = http.post("/api/v1/lineage", json=event)
        assert response.status_code == 201, response.text
        assert http.post("/api/v1/lineage", json=event).json()["status"] == "duplicate"
    client = JanusGraphClient(store=store)
    job = "sample_spark.execute_create_data_source_table_as_select_command"
    table = NodeKey("file", "/home/jovyan/notebooks/spark-warehouse/temp").render(settings.default_namespace)
    assert client.queries.node(job, "Pipeline")["id"] == job
    dataset = client.queries.node(table, "Dataset")
    assert dataset["id"] == table
    graph = client.lineage_graph(table, depth=1)
    assert {"label": "GENERATED_BY", "source": table, "target": job, "version": None} in graph["edges"]
