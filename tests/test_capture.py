"""The capture SDK end to end: decorated functions and operations become runs in the graph."""

import json
import logging

import pandas as pd
import pytest

from lineage import LineageAnalysis, LineageTracker, OperationType, set_global_tracker, track_lineage
from lineage._runs import mark_code_changes


@pytest.fixture
def tracker(store):
    t = LineageTracker(store=store)
    set_global_tracker(t)
    yield t
    set_global_tracker(None)
    t.close()


def runs_of(store, pipeline_id):
    return LineageAnalysis(store.graph, store.settings.default_namespace).runs(pipeline_id, 100)


def test_the_spec_example_runs_as_written(tracker, store):
    @track_lineage(
        operation_type=OperationType.TRANSFORM,
        input_sources=['input_data']
    )
    def process_data(input_data, multiplier=2):
        return input_data * multiplier

    frame = pd.DataFrame({"qty": [1, 2, 3]})
    result = process_data(frame, multiplier=3)
    assert result["qty"].tolist() == [3, 6, 9]
    assert tracker.flush() and tracker.emitter.stats.failed == 0
    record = next(iter(tracker.operations.values()))
    assert record.job_name.endswith("test_the_spec_example_runs_as_written.<locals>.process_data")
    assert record.operation_type == "transform" and record.state == "COMPLETE"
    assert record.parameters == {"multiplier": 3}
    assert record.inputs[0].rows == 3 and record.inputs[0].fingerprint.startswith("table-v1:")
    assert record.outputs[0].rows == 3 and record.outputs[0].fingerprint != record.inputs[0].fingerprint
    assert record.code_version.startswith("sha256:") and record.duration_ms >= 0

    (run,) = runs_of(store, record.job_name)
    assert run["state"] == "COMPLETE" and run["code_version"] == record.code_version
    assert json.loads(run["parameters"]) == {"multiplier": 3}
    inputs, outputs = json.loads(run["inputs"]), json.loads(run["outputs"])
    assert inputs == [{"datasetId": record.inputs[0].dataset_id, "fingerprint": record.inputs[0].fingerprint,
                       "version": record.inputs[0].fingerprint, "rows": 3, "bytes": record.inputs[0].bytes}]
    assert outputs[0]["fingerprint"] == record.outputs[0].fingerprint and outputs[0]["rows"] == 3
    assert run["started_at"] <= run["ended_at"]


def test_in_memory_data_links_steps_by_fingerprint(tracker, store):
    @track_lineage(operation_type=OperationType.READ)
    def load():
        return pd.DataFrame({"a": [1, 2, 3]})

    @track_lineage
    def double(frame):
        return frame * 2

    double(load())
    tracker.flush()
    first, second = tracker.operations.values()
    assert second.inputs[0].dataset_id == first.outputs[0].dataset_id
    upstream = LineageAnalysis(store.graph, store.settings.default_namespace).upstream(second.outputs[0].dataset_id)
    assert [n["id"] for n in upstream] == [first.outputs[0].dataset_id]


def test_a_failure_is_a_FAIL_run_and_the_exception_is_untouched(tracker, store):
    class Broken(Exception):
        pass

    @track_lineage(input_sources=["rows"], outputs=["silver/clean"])
    def clean(rows):
        raise Broken("bad row 7")

    with pytest.raises(Broken, match="bad row 7") as caught:
        clean(pd.DataFrame({"x": [1]}))
    assert type(caught.value) is Broken
    tracker.flush()
    record = next(iter(tracker.operations.values()))
    assert record.state == "FAIL" and record.error_info == {"type": "Broken", "message": "bad row 7"}
    assert "raise Broken" in record.stack_trace
    (run,) = runs_of(store, record.job_name)
    assert run["state"] == "FAIL" and run["error_message"] == "Broken: bad row 7"


def test_nested_operations_name_their_parent(tracker, store):
    with tracker.operation("nightly", OperationType.EXECUTE) as outer:
        with tracker.operation("nightly.step1", inputs=["bronze/orders"], outputs=["silver/orders"]) as inner:
            pass
    tracker.flush()
    assert inner.record.parent_run_id == outer.run_id and inner.record.root_run_id == outer.run_id
    (run,) = runs_of(store, "nightly.step1")
    assert run["parent_run_id"] == outer.run_id
    assert tracker.current() is None


def test_parameters_are_json_safe_capped_and_redacted(store):
    t = LineageTracker(store=store, settings=store.settings.from_env(
        {}, **dict(store.settings.values, LINEAGE_CAPTURE_MAX_PARAMETER_BYTES=300, LINEAGE_CAPTURE_REDACT="dsn")))
    try:
        @track_lineage(tracker=t)
        def job(api_token, db_dsn, options, blob, when, n=1):
            return None

        import datetime as dt
        job("s3cr3t", "postgres://u:p@h/db", {"password": "x", "mode": "fast"}, "y" * 5000,
            dt.date(2024, 5, 1))
        t.flush()
        record = next(iter(t.operations.values()))
        values = record.parameters
        assert values["api_token"] == "***" and values["db_dsn"] == "***"
        assert values["options"] == {"password": "***", "mode": "fast"}
        assert values["when"] == "2024-05-01" and values["n"] == 1
        assert values["blob"].startswith("<omitted:") and record.parameters_truncated
        assert sorted(record.redacted) == ["api_token", "db_dsn", "options.password"]
        assert "s3cr3t" not in json.dumps(record.to_dict(), default=str)
    finally:
        t.close()


def test_an_allow_list_records_only_what_it_names(tracker):
    @track_lineage(parameters=["alpha"])
    def fit(alpha, beta, seed=0):
        return alpha

    fit(0.1, 0.2)
    tracker.flush()
    assert next(iter(tracker.operations.values())).parameters == {"alpha": 0.1}


def test_emission_failures_never_reach_the_caller(caplog):
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    closed = HttpTransport(HttpConfig(url="http://127.0.0.1:9", timeout=0.5))
    t = LineageTracker(client=OpenLineageClient(transport=closed))
    try:
        @track_lineage(tracker=t)
        def add(frame):
            return frame + 1

        with caplog.at_level(logging.WARNING, logger="lineage.capture"):
            assert add(pd.DataFrame({"a": [1]}))["a"].tolist() == [2]
            assert t.flush()
        assert t.emitter.stats.failed == 2 and t.emitter.stats.emitted == 0
        assert "could not emit" in caplog.text
    finally:
        t.close()


def test_capture_errors_are_counted_not_raised(tracker):
    unhashable = pd.DataFrame({"obj": [object(), object()]})  # Arrow cannot convert plain objects

    @track_lineage(input_sources=["thing"])
    def use(thing):
        return 42

    assert use(unhashable) == 42
    assert tracker.stats.capture_errors == 1
    tracker.flush()
    record = next(iter(tracker.operations.values()))
    assert record.state == "COMPLETE" and record.inputs == []


def test_disabled_capture_runs_the_code_only(store):
    t = LineageTracker(store=store, enabled=False)
    try:
        @track_lineage(tracker=t)
        def f(x):
            return x * 2
        assert f(2) == 4 and not t.operations and t.emitter.stats.queued == 0
    finally:
        t.close()


def test_a_code_change_between_runs_is_flagged(tracker, store, tmp_path):
    import importlib.util
    import sys

    def load(body):
        path = tmp_path / "flagged_job.py"
        path.write_text("from lineage import track_lineage\n\n@track_lineage(name='flagged')\n"
                        f"def step(frame):\n    # tuned\n    return {body}\n")
        spec = importlib.util.spec_from_file_location("flagged_job", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["flagged_job"] = module
        spec.loader.exec_module(module)
        return module.step

    frame = pd.DataFrame({"a": [1, 2]})
    load("frame * 2")(frame)
    load("frame * 2")(frame)
    load("frame * 3")(frame)
    tracker.flush()
    runs = mark_code_changes(runs_of(store, "flagged"))
    assert [r["code_changed"] for r in runs] == [True, False, None]
    assert runs[0]["code_version"] != runs[1]["code_version"] == runs[2]["code_version"]


def test_async_functions_are_captured(tracker):
    import asyncio

    @track_lineage
    async def fetch(n):
        await asyncio.sleep(0)
        return pd.DataFrame({"n": range(n)})

    assert len(asyncio.run(fetch(4))) == 4
    tracker.flush()
    assert next(iter(tracker.operations.values())).outputs[0].rows == 4


def test_write_operations_fingerprint_the_file_written(tracker, store, tmp_path):
    @track_lineage(operation_type=OperationType.WRITE)
    def save(frame, path):
        frame.to_csv(path, index=False)

    target = tmp_path / "out.csv"
    save(pd.DataFrame({"a": [1, 2]}), target)
    tracker.flush()
    record = next(iter(tracker.operations.values()))
    assert record.outputs[0].namespace == "file" and record.outputs[0].name == str(target)
    import hashlib
    assert record.outputs[0].fingerprint == "sha256:" + hashlib.sha256(target.read_bytes()).hexdigest()
    assert record.parameters == {"path": str(target)}


def test_a_write_to_a_string_path_is_an_output_and_a_mode_is_a_parameter(tracker, tmp_path):
    @track_lineage(operation_type="write")
    def save(frame, path, mode="w"):
        with open(path, mode) as out:
            out.write(frame.to_csv(index=False))

    save(pd.DataFrame({"a": [1]}), str(tmp_path / "x.csv"))
    tracker.flush()
    record = next(iter(tracker.operations.values()))
    assert [d.name for d in record.outputs] == [str(tmp_path / "x.csv")]
    assert record.outputs[0].fingerprint.startswith("sha256:") and record.parameters["mode"] == "w"


def test_a_directory_argument_is_not_hashed_unless_declared(tracker, tmp_path):
    @track_lineage
    def listing(root):
        return 1

    listing(str(tmp_path))
    tracker.flush()
    assert next(iter(tracker.operations.values())).inputs == []


def test_fingerprinting_can_be_skipped_for_big_data(tracker):
    @track_lineage(fingerprint=False)
    def big(frame):
        return frame.head(2)

    big(pd.DataFrame({"a": range(10)}))
    tracker.flush()
    record = next(iter(tracker.operations.values()))
    assert (record.inputs[0].rows, record.inputs[0].fingerprint) == (10, None)
    assert record.inputs[0].bytes == 80 and record.outputs[0].rows == 2


def test_an_unknown_operation_type_fails_at_definition():
    from lineage import InvalidArgument
    with pytest.raises(InvalidArgument, match="operation_type must be one of READ, WRITE, TRANSFORM"):
        track_lineage(operation_type="transmogrify")(lambda: None)
