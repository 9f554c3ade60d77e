"""The embedded writer's cache is bounded: least recently used vertices (with their
out-edges) go, the graph it writes is the same as with room for everything."""

import copy
import uuid

import pytest

from conftest import food_delivery
from lineage import LineageStore, Settings
from lineage.graph.writecache import touch, trim


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
                assert getattr(writer, "_held", _held(writer)) == _held(writer)   # the running count is exact
                assert len(getattr(writer, "_strings", ())) <= 2 * limit
            if name == "small":
                assert most <= limit
                assert _held(writer) > 0   # trimmed, not emptied: the recent vertices stay
            else:
                assert most > 40           # the small bound is a real constraint
            snapshots.append(store.snapshot())
    assert snapshots[0] == snapshots[1]


def test_trimming_keeps_the_recently_used_vertices_and_drops_the_oldest(tmp_path):
    with LineageStore(Settings.from_env({}, db=str(tmp_path / "lineage.db"))) as store:
        writer = store.graph.writer
        store.ingest(_runs(3))   # the default bound holds all of it
        order = list(writer._vertices)
        oldest, hot, newest = order[1], order[0], order[-1]
        gone = writer._vertices[oldest]
        touch(writer._vertices, [hot])   # the first one read is used again
        held = _held(writer)
        dropped = trim(writer, held // 2)
        assert dropped > 0 and _held(writer) <= (held // 2) * 3 // 4
        assert hot in writer._vertices and newest in writer._vertices
        assert oldest not in writer._vertices
        assert gone.id not in writer._edges   # its out-edges went with it
