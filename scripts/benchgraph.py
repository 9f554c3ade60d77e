#!/usr/bin/env python
"""The generated lineage DAG of the query benchmarks, and two ways to write it.

``dag(n)`` makes it: datasets in layers, each derived from 1-4 datasets near it in
the layer before, a pipeline per two datasets, a few hub datasets read by 1% of
the next layer, and models trained on the last layer.

* ``write_with_writer`` sends it through the store's SQL writer (the product's
  write path), in batches of 20,000 assertions;
* ``write_rows`` writes gremlite's own rows (strings, element ids and quads)
  directly, with ``executemany`` into a file without its secondary indexes, then
  builds the indexes and opens the file once with the store, which adds and fills
  every table of ours (node records, the lineage edge table, the search and text
  indexes, the counts) from those rows, as it does for any gremlite file. About
  fifty times faster: the 1M-dataset graph in minutes instead of hours.

Both give the same graph (``--check N`` builds N datasets both ways and compares
the whole-graph snapshots, through SQL and through gremlite's Gremlin):

    python scripts/benchgraph.py --check 1200
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

LAYERS = 12
AT = "2026-01-01T00:00:00Z"
INT_SHIFT = 2 ** 62  # gremlite's encoding of integers; every value here is a string


@dataclass
class Dag:
    layers: list[list[str]]
    derived: list[tuple[str, str]]            # (upstream dataset, downstream dataset), no repeats
    models: list[tuple[str, list[str]]]       # (model id, the datasets it was trained on)
    pipelines: dict[str, str]                 # dataset -> the pipeline that wrote it


def dag(n: int, seed: int = 7) -> Dag:
    rng = random.Random(seed)
    per_layer = n // LAYERS
    layers = [[f"l{layer}/ds_{i}" for i in range(per_layer)] for layer in range(LAYERS)]
    hubs = [layers[0][i] for i in range(0, per_layer, max(1, per_layer // 5))][:5]
    derived: list[tuple[str, str]] = []
    for layer in range(1, LAYERS):
        prev = layers[layer - 1]
        for i, ds in enumerate(layers[layer]):
            window = prev[max(0, i - 3): i + 4]
            for src in rng.sample(window, min(len(window), rng.randint(1, 4))):
                derived.append((src, ds))
            if layer == 1 and rng.random() < 0.01:
                derived.append((rng.choice(hubs), ds))
    models = [(f"model_{i}@1", rng.sample(layers[-1], 3)) for i in range(max(1, per_layer // 100))]
    pipelines = {ds: f"job_{layer}_{i // 2}" for layer in range(1, LAYERS) for i, ds in enumerate(layers[layer])}
    return Dag(layers, list(dict.fromkeys(derived)), models, pipelines)


def _vertices(d: Dag):
    """(label, props, timed props) of every vertex, in writing order."""
    for layer, names in enumerate(d.layers):
        for ds in names:
            yield "Dataset", {"dataset_id": ds, "namespace": f"l{layer}", "name": ds.split("/")[1],
                              "layer": "bronze" if layer == 0 else "silver", "version": "v1"}, ("layer", "version")
    for job in sorted(set(d.pipelines.values())):
        yield "Pipeline", {"pipeline_id": job, "name": job, "code_version": "1"}, ("code_version",)
    for mid, _ in d.models:
        yield "Model", {"model_id": mid, "model_name": mid[:-2], "version": "1"}, ("version",)


def _edges(d: Dag):
    """(label, out (label, key), in (label, key), props, timed props) of every edge, in writing order."""
    consumed = set()
    for src, dst in d.derived:
        job = d.pipelines[dst]
        yield "DERIVED_FROM", ("Dataset", dst), ("Dataset", src), {"pipeline_id": job, "version": "v1"}, ("version",)
        if (job, src) not in consumed:
            consumed.add((job, src))
            yield "CONSUMES", ("Pipeline", job), ("Dataset", src), {"pipeline_id": job}, ()
    for dst, job in d.pipelines.items():
        yield "GENERATED_BY", ("Dataset", dst), ("Pipeline", job), {"pipeline_id": job}, ()
    for mid, inputs in d.models:
        for src in inputs:
            yield "TRAINED_ON", ("Model", mid), ("Dataset", src), {"pipeline_id": "train", "version": "v1"}, ("version",)


_KEYS = {"Dataset": "dataset_id", "Pipeline": "pipeline_id", "Model": "model_id"}


def write_with_writer(path: Path, d: Dag) -> None:
    """The graph through the store's SQL writer, as events' assertions would be."""
    from lineage import LineageStore, Settings
    from lineage._translate import Assertions, EdgeAssert, VertexAssert

    batch = Assertions()
    with LineageStore(Settings.from_env({}, db=str(path))) as store:
        def flush(force: bool = False) -> None:
            nonlocal batch
            if force or len(batch.vertices) + len(batch.edges) >= 20_000:
                store.backend.begin()
                store.graph.apply(batch, fresh=False)
                store.backend.commit()
                batch = Assertions()

        for label, props, _ in _vertices(d):
            batch.vertices.append(VertexAssert(label, props[_KEYS[label]], props, AT))
            flush()
        flush(True)
        for label, out, in_, props, _ in _edges(d):
            batch.edges.append(EdgeAssert(label, out, in_, props["pipeline_id"],
                                          {k: v for k, v in props.items() if k != "pipeline_id"}, AT))
            batch.vertices.extend(VertexAssert(lab, key, {}, AT) for lab, key in (out, in_))
            flush()
        flush(True)
        store.backend.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def write_rows(path: Path, d: Dag) -> None:
    """The graph as gremlite's rows, written directly (see the module)."""
    from gremlite import SQLiteConnection

    from lineage import LineageStore, Settings

    SQLiteConnection(str(path)).close()   # gremlite's own tables, indexes and first string
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = OFF")   # a new file, renamed into place only once complete
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -500000")
    indexes = [sql for (sql,) in con.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                             "AND tbl_name = 'quads' AND sql IS NOT NULL")]
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'quads' "
                               "AND sql IS NOT NULL").fetchall():
        con.execute(f"DROP INDEX {name}")
    strings: dict[str, int] = dict(con.execute("SELECT v, id FROM strings"))

    def sid(text: str) -> int:
        found = strings.get(text)
        if found is None:
            found = strings[text] = len(strings) + 3   # gremlite's first string ('') is id 3
        return found

    times: dict[tuple[str, ...], str] = {}   # the prop_times value of each set of timed properties

    def stamped(timed: tuple[str, ...]) -> str:
        found = times.get(timed)
        if found is None:
            found = times[timed] = json.dumps({t: AT for t in timed}, separators=(",", ":"))
        return found

    next_id = 1
    vids: dict[tuple[str, str], int] = {}
    rows: list[tuple[int, int, int, int]] = []
    con.execute("BEGIN")

    def flush(force: bool = False) -> None:
        if force or len(rows) >= 500_000:
            con.executemany("INSERT INTO quads (s, p, o, g) VALUES (?, ?, ?, ?)", rows)
            rows.clear()

    for label, props, timed in _vertices(d):
        vid = vids[(label, props[_KEYS[label]])] = next_id
        rows.append((vid, 0, sid(label), 0))
        for k, v in (*props.items(), ("prop_times", stamped(timed))):
            next_id += 1
            rows.append((vid, sid(k), sid(v), next_id))
        next_id += 1
        flush()
    for label, out, in_, props, timed in _edges(d):
        eid = next_id
        next_id += 1
        rows.append((vids[out], -sid(label), vids[in_], -eid))
        if timed:
            props = {**props, "prop_times": stamped(timed)}
        rows.extend((-eid, sid(k), sid(v), 0) for k, v in props.items())
        flush()
    flush(True)
    fresh = [(i, t) for t, i in strings.items() if i > 3]
    con.executemany("INSERT INTO strings (id, v) VALUES (?, ?)", fresh)
    con.executemany("INSERT INTO graphelts (id) VALUES (?)", ((i,) for i in range(1, next_id)))
    con.execute("COMMIT")
    for sql in indexes:
        con.execute(sql)
    con.close()
    with LineageStore(Settings.from_env({}, db=str(path))) as store:   # our tables, from these rows
        store.backend.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def check(n: int) -> int:
    """Build ``n`` datasets both ways and compare the snapshots (SQL, and Gremlin through gremlite)."""
    from gremlite import SQLiteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    from lineage.graph import GremlinGraph, SqlGraph

    d = dag(n)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "writer.db", Path(tmp) / "rows.db"
        for write, path in ((write_with_writer, a), (write_rows, b)):
            started = time.perf_counter()
            write(path, d)
            print(f"{write.__name__}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
        snaps = {}
        for path in (a, b):
            con = sqlite3.connect(path)
            remote = SQLiteConnection(str(path))
            records = sorted((label, key, sorted(json.loads(props).items()))
                             for label, key, props in con.execute("SELECT label, key, props FROM lineage_node"))
            lineage = sorted(con.execute("SELECT a.key, b.key FROM lineage_edge e JOIN lineage_node a ON a.id = e.src "
                                         "JOIN lineage_node b ON b.id = e.dst"))
            snaps[path.name] = (SqlGraph(con).snapshot(), GremlinGraph(traversal().with_remote(remote)).snapshot(),
                                records, lineage)
            tables = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("quads", "lineage_node", "lineage_edge", "lineage_search")}
            print(f"{path.name}: {tables}", file=sys.stderr)
            remote.close()
            con.close()
        (sql_a, gremlin_a, *ours_a), (sql_b, gremlin_b, *ours_b) = snaps.values()
        same = sql_a == sql_b == gremlin_a == gremlin_b and ours_a == ours_b
        print(f"{n} datasets: {len(sql_a['vertices'])} vertices, {len(sql_a['edges'])} edges; writer and rows "
              f"{'agree' if same else 'DIFFER'} (SQL and Gremlin snapshots, node records, lineage edge table)")
        return 0 if same else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", type=int, metavar="N", required=True,
                        help="build N datasets both ways and compare them, e.g. 1200")
    return check(parser.parse_args().check)


if __name__ == "__main__":
    sys.exit(main())
