"""The embedded writer's cache is bounded: least recently used vertices (with their
out-edges) go, the graph it writes is the same as with room for everything."""

import copy
import uuid

import pytest

from conftest import food_delivery
from lineage import LineageStore, Settings


def _runs(rounds: int) -> list[dict]:
    """The food-delivery events again and again, each round with fresh run ids:
    steady ingestion, where every run is a new vertex."""
    events = []
    for n in range(rounds):
        fresh: dict[str, str] = {}
        for event in food_delivery():
            event = copy.deepcopy(event)
            run = event.get("run")
            if run and "runId" in run:
                run["runId"] = fresh.setdefault(run["runId"], str(uuid.uuid4()))
            events.append(event)
    return events


def _held(writer) -> int:
    return len(writer._vertices) + sum(map(len, writer._edges.values()))


@pytest.mark.parametrize("engine", ["sql", "gremlin"])
def test_a_small_cache_stays_within_its_bound_and_writes_the_same_graph(tmp_path, engine):
    events = _runs(6 if engine == "sql" else 3)
    snapshots = []
    for name, limit in (("roomy", 1_000_000), ("small", 40)):
        settings = Settings.from_env({"LINEAGE_EMBEDDED_ENGINE": engine}, db=str(tmp_path / f"{name}.db"))
        with LineageStore(settings) as store:
            writer = store.graph.writer
            writer.cache_limit = limit
            most = 0
            for i in range(0, len(events), 7):
                store.ingest(events[i:i + 7])
                most = max(most, _held(writer))
                assert len(getattr(writer, "_strings", ())) <= 2 * limit
            if name == "small":
                assert most <= limit
                assert _held(writer) > 0   # trimmed, not emptied: the recent vertices stay
            else:
                assert most > 40           # the small bound is a real constraint
            snapshots.append(store.snapshot())
    assert snapshots[0] == snapshots[1]


def test_a_vertex_every_batch_names_is_kept_while_one_off_runs_age_out(tmp_path):
    events = _runs(8)
    hot = [e for e in events if e.get("job", {}).get("name") == "etl_menus"]
    rest = [e for e in events if e not in hot]
    with LineageStore(Settings.from_env({}, db=str(tmp_path / "lineage.db"))) as store:
        writer = store.graph.writer
        writer.cache_limit = 200
        store.ingest(hot[:1])
        key = ("Pipeline", "food_delivery/etl_menus")
        kept = writer._vertices[key]
        runs = []
        for i, event in enumerate(rest):
            again = copy.deepcopy(hot[i % len(hot)])
            again["run"]["runId"] = str(uuid.uuid4())
            store.ingest([event, again])   # every batch names the hot job too
            runs.extend(k for k in writer._vertices if k[0] == "Run" and k not in runs)
        assert writer._vertices[key] is kept          # never dropped, so never read again
        assert any(k not in writer._vertices for k in runs)   # while older runs went
