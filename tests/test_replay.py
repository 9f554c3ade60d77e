"""Replay, what-if and root cause on a small captured pipeline (clean, price, aggregate)."""

import importlib
import sys
import textwrap

import pandas as pd
import pytest

from lineage import LineageTracker, set_global_tracker
from lineage.replay import FunctionStore, Replayer, RootCause, what_if
from lineage.replay.records import children

STEPS = '''
import json

import pandas as pd
from lineage import track_lineage

THRESHOLD = 1


def _rate(base):
    return base * 1.5


@track_lineage(input_sources=["orders"], outputs=["silver/orders"])
def clean(orders, min_qty=THRESHOLD):
    """Drop empty orders."""
    return orders[orders["qty"] >= min_qty].reset_index(drop=True)


@track_lineage(input_sources=["orders"], outputs=["silver/priced"])
def price(orders, base=2):
    out = orders.copy()
    out["amount"] = out["qty"] * _rate(base)
    return out


@track_lineage(input_sources=["orders"], outputs=["gold/revenue"])
def aggregate(orders):
    return orders.groupby("customer", as_index=False)["amount"].sum()


def fit(orders):
    return json.dumps(sorted(zip(orders["customer"], orders["amount"]))).encode()


def price_with_discount(orders, base=2):
    out = orders.copy()
    out["amount"] = out["qty"] * _rate(base) * 0.9
    return out
'''

RAW = pd.DataFrame({"customer": ["a", "b", "a", "c"], "qty": [1, 0, 3, 2]})


class Pipeline:
    """A module of steps written to a file, importable, and rewritable like code in a repository."""

    def __init__(self, folder, name):
        self.folder, self.name = folder, name
        self.path = folder / f"{name}.py"
        sys.path.insert(0, str(folder))
        self.write(STEPS)

    def write(self, text):
        self.path.write_text(textwrap.dedent(text))
        importlib.invalidate_caches()
        if self.name in sys.modules:
            self.module = importlib.reload(sys.modules[self.name])
        else:
            self.module = importlib.import_module(self.name)

    def run(self, tracker, raw=RAW):
        with tracker.operation("nightly_revenue", inputs=[("bronze/orders", raw)]) as op:
            out = self.module.aggregate(self.module.price(self.module.clean(raw)))
            op.add_output("gold/revenue", out)
        tracker.train("revenue_model", 1, {"gold/revenue": out}).finish()
        tracker.flush()
        return op.run_id

    def close(self):
        sys.modules.pop(self.name, None)
        sys.path.remove(str(self.folder))


@pytest.fixture
def replay_dir(tmp_path):
    return tmp_path / "replay"


@pytest.fixture
def tracker(store, replay_dir):
    t = LineageTracker(store=store, replay_dir=replay_dir)
    set_global_tracker(t)
    yield t
    set_global_tracker(None)
    t.close()


@pytest.fixture
def pipeline(tmp_path, request):
    folder = tmp_path / "code"
    folder.mkdir()
    p = Pipeline(folder, f"steps_{request.node.name.split('[')[0]}_{abs(hash(str(tmp_path))) % 10**8}")
    yield p
    p.close()


def test_replay_reproduces_every_step(tracker, store, pipeline, replay_dir):
    run_id = pipeline.run(tracker)
    report = Replayer(store, replay_dir).replay(run_id)
    assert [s.function_id.rsplit(".", 1)[-1] for s in report.steps] == ["clean", "price", "aggregate"]
    assert [s.status for s in report.steps] == ["reproduced"] * 3, report.to_dict()
    assert report.reproduced and report.first_divergence is None
    assert all(s.replayed_version == s.recorded_version for s in report.steps)
    assert report.steps[0].parameters == {"min_qty": 1}
    assert list(report.steps[0].output["qty"]) == [1, 3, 2]


def test_the_recorded_version_loads_after_the_code_changed(tracker, store, pipeline, replay_dir):
    run_id = pipeline.run(tracker)
    pipeline.write(STEPS.replace("* _rate(base)\n    return out", "* _rate(base) + 1\n    return out", 1))
    report = Replayer(store, replay_dir).replay(run_id)
    assert report.reproduced, report.to_dict()


def test_step_by_step_yields_each_intermediate_result(tracker, store, pipeline, replay_dir):
    run_id = pipeline.run(tracker)
    seen = [(s.index, list(s.output.columns)) for s in Replayer(store, replay_dir).iter_steps(run_id)]
    assert seen == [(0, ["customer", "qty"]), (1, ["customer", "qty", "amount"]), (2, ["customer", "amount"])]


def test_a_changed_body_diverges_at_exactly_that_step_and_root_cause_names_it(tracker, store, pipeline, replay_dir):
    good = pipeline.run(tracker)
    old_version = pipeline.module.price.__wrapped__
    pipeline.write(STEPS.replace("* _rate(base)\n    return out", "* _rate(base) + 1\n    return out", 1))
    bad = pipeline.run(tracker)

    runs_before = len(tracker.operations)
    report = Replayer(store, replay_dir).replay(good, current=True)
    assert len(tracker.operations) == runs_before  # replaying the decorated code captured nothing
    assert [s.status for s in report.steps] == ["reproduced", "diverged", "reproduced"], report.to_dict()
    diverged = report.first_divergence
    assert diverged.function_id.endswith(".price") and diverged.inputs_matched
    assert diverged.recorded_version != diverged.replayed_version
    (out,) = diverged.outputs
    assert out.dataset_id == "silver/priced" and out.difference["changedColumns"] == ["amount"]
    assert out.difference["sampleRows"][0]["recorded"]["amount"] + 1 == out.difference["sampleRows"][0]["replayed"]["amount"]

    cause = RootCause(store, FunctionStore(replay_dir)).between(good, bad)
    assert cause["verdict"] == "code_change" and cause["functionId"].endswith(".price")
    assert cause["oldVersion"] == report.first_divergence.recorded_version != cause["newVersion"]
    assert "-    out[\"amount\"] = out[\"qty\"] * _rate(base)\n" in cause["sourceDiff"]
    assert "+    out[\"amount\"] = out[\"qty\"] * _rate(base) + 1\n" in cause["sourceDiff"]
    assert [p["outputsMatched"] for p in cause["path"]] == [True, False]
    assert old_version is not None

    bad_revenue = next(o for o in Replayer(store, replay_dir).replay(bad).steps[-1].outputs)
    by_dataset = RootCause(store, FunctionStore(replay_dir)).of_dataset("gold/revenue", bad_revenue.recorded)
    assert by_dataset["verdict"] == "code_change" and by_dataset["functionId"].endswith(".price")


def test_root_cause_walks_upstream_to_changed_input_data(tracker, store, pipeline, replay_dir):
    good = pipeline.run(tracker)
    bad = pipeline.run(tracker, RAW.assign(qty=[1, 0, 4, 2]))
    cause = RootCause(store, FunctionStore(replay_dir)).between(good, bad)
    assert cause["verdict"] == "input_changed" and cause["functionId"].endswith(".clean")
    assert cause["changedInputs"][0]["good"] != cause["changedInputs"][0]["bad"]


def test_what_if_reports_changed_outputs_and_affected_downstream(tracker, store, pipeline, replay_dir):
    run_id = pipeline.run(tracker)
    result = what_if(Replayer(store, replay_dir), run_id, function=pipeline.module.price_with_discount,
                     step=pipeline.module.price.__wrapped__.__module__ + ".price")
    statuses = [s["status"] for s in result["replay"]["steps"]]
    assert statuses == ["reproduced", "diverged", "diverged"]
    assert [o["datasetId"] for o in result["changedOutputs"]] == ["silver/priced", "gold/revenue"]
    assert not result["replay"]["steps"][2]["inputsMatched"]
    assert [m["id"] for m in result["affected"]["models"]] == ["revenue_model@1"]
    assert "gold/revenue" not in [d["id"] for d in result["affected"]["datasets"]]


def test_what_if_with_other_parameters(tracker, store, pipeline, replay_dir):
    run_id = pipeline.run(tracker)
    result = what_if(Replayer(store, replay_dir), run_id, params={"min_qty": 2},
                     step=pipeline.module.clean.__wrapped__.__module__ + ".clean")
    first = result["replay"]["steps"][0]
    assert first["status"] == "diverged" and first["parameters"] == {"min_qty": 2}
    assert first["outputs"][0]["rowsReplayed"] == 2


def test_the_function_store_says_what_cannot_be_rebuilt(tmp_path, caplog):
    live = open(__file__)
    try:
        def reads_live(frame):
            return frame.assign(n=len(live.name))
        entry = FunctionStore(tmp_path).put(reads_live)
    finally:
        live.close()
    assert not entry.reconstructable
    assert "closure variable 'live'" in entry.limitations[0]
    assert "replay of" in caplog.text and "is limited" in caplog.text
    assert FunctionStore(tmp_path).put(len).limitations[0].endswith("cannot be loaded from the store")


def _stream(tracker, pipeline, slices=6):
    """Slices of an order stream, each a checkpoint in which clean then price ran."""
    ids = []
    for n in range(1, slices + 1):
        part = pd.DataFrame({"customer": ["a", "b", "c"], "qty": [n, n + 1, 0]})
        with tracker.checkpoint("orders_stream", offset=(n - 1) * 3, end_offset=n * 3) as cp:
            pipeline.module.price(pipeline.module.clean(part))
        ids.append(cp.run_id)
    tracker.flush()
    return ids


def test_checkpoints_are_recorded_with_the_provenance_of_each_slice(tracker, store, pipeline):
    from lineage.replay.checkpoints import checkpoints
    ids = _stream(tracker, pipeline, 3)
    found = checkpoints(store, "orders_stream")
    assert [c["sequence"] for c in found] == [1, 2, 3] and [c["runId"] for c in found] == ids
    third = found[2]
    assert third["status"] == "COMPLETE" and third["offset"] == 6 and third["endOffset"] == 9
    clean, price = third["provenanceRecords"]
    assert clean["functionId"].endswith(".clean") and price["functionId"].endswith(".price")
    assert clean["outputDataHashes"] == price["inputDataHashes"]
    assert price["functionVersionHash"].startswith("sha256:") and clean["parameters"] == {"min_qty": 1}
    assert checkpoints(store, "orders_stream", since=third["startedAt"]) == [third]


def test_a_failed_slice_is_a_FAILED_checkpoint(tracker, store):
    from lineage.replay.checkpoints import checkpoints
    with pytest.raises(ZeroDivisionError):
        with tracker.checkpoint("fragile_stream", sequence=7, partition="p0"):
            1 / 0
    tracker.flush()
    (cp,) = checkpoints(store, "fragile_stream")
    assert cp["status"] == "FAILED" and cp["sequence"] == 7 and cp["partition"] == "p0"


def test_checkpoints_replay_from_3_to_5_only(tracker, store, pipeline, replay_dir):
    ids = _stream(tracker, pipeline)
    report = Replayer(store, replay_dir).replay("orders_stream@3", to="orders_stream@5")
    assert len(report.steps) == 6 and report.reproduced, report.to_dict()
    replayed = {s.run_id for s in report.steps}
    q = Replayer(store, replay_dir).q
    for i, cp in enumerate(ids):
        steps = {c["run_id"] for c in children(q, cp)}
        assert (steps <= replayed) == (2 <= i <= 4) and (not steps & replayed) == (not 2 <= i <= 4)
    same = Replayer(store, replay_dir).replay(ids[2], to=ids[4])
    assert [s.run_id for s in same.steps] == [s.run_id for s in report.steps]


def test_a_model_is_verified_once_replays_reproduced_every_pipeline_on_its_path(tracker, store, pipeline,
                                                                                 replay_dir):
    from lineage import LineageAnalysis
    m = pipeline.module
    revenue = m.aggregate(m.price(m.clean(RAW)))
    with tracker.train("revenue_model", 2, {"gold/revenue": revenue}, function=m.fit) as op:
        op.add_output("revenue_model", data=m.fit(revenue), version="2", model_name="revenue_model")
    tracker.flush()
    q = LineageAnalysis(store.graph, store.settings.default_namespace)
    before = q.reproducibility("revenue_model", 2)
    assert before["level"] == "reproducible" and len(before["unverified"]) == 4, before

    replayer = Replayer(store, replay_dir)
    for record in list(tracker.operations.values()):
        report = replayer.replay(record.run_id)
        assert report.reproduced, report.to_dict()
        replayer.record(report)
        if record.job_name.endswith(".price"):
            after_one = q.reproducibility("revenue_model", 2)
    assert after_one["level"] == "reproducible" and len(after_one["unverified"]) < 4
    after = q.reproducibility("revenue_model", 2)
    assert after["level"] == "verified" and after["unverified"] == [] and after["reproducible"]


def test_the_input_store_keeps_tables_by_fingerprint_within_its_cap(tmp_path):
    import pyarrow as pa
    from lineage import fingerprint
    from lineage.replay import InputStore
    frames = [pd.DataFrame({"k": list(range(200)), "v": [i] * 200}) for i in range(3)]
    one = InputStore(tmp_path / "a", 10**9)
    fps = [fingerprint(f).value for f in frames]
    assert all(one.put(fp, f) for fp, f in zip(fps, frames))
    assert not one.put(fps[0], frames[0])  # already kept
    back = one.get(fps[1])
    assert isinstance(back, pd.DataFrame) and fingerprint(back).value == fps[1]
    table = pa.table({"x": [1, 2]})
    assert one.put(fingerprint(table).value, table) and isinstance(one.get(fingerprint(table).value), pa.Table)
    assert one.put("sha256:" + "ab" * 32, b"raw") and one.get("sha256:" + "ab" * 32) == b"raw"

    size = (tmp_path / "a" / "inputs").stat().st_size and max(
        p.stat().st_size for p in (tmp_path / "a" / "inputs").iterdir())
    capped = InputStore(tmp_path / "b", int(size * 2.5))
    for fp, f in zip(fps, frames):
        capped.put(fp, f)
    assert fps[0] not in capped and fps[1] in capped and fps[2] in capped
    assert capped.size() <= size * 2.5
    assert not InputStore(tmp_path / "c", 0).put(fps[0], frames[0])
