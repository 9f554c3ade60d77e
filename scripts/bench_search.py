#!/usr/bin/env python
"""Search latency on the embedded default, beside its anchors, in one run.

On the generated lineage DAG of ``bench_query.py`` (the same cached files, built
there if absent), times ``LineageAnalysis.search`` (the search table of
:mod:`lineage.graph.searchindex`: rank by rank, shortest ids first, stopping at
the best 20) for a sample of texts people type: a dataset's short name
(``ds_4711``), a part of one (``s_471``) and a pipeline word (``job_3``, the
prefix of thousands of pipelines), interleaved with

* the ranking before the search table (ranked in SQL over the file's trigram
  index of strings, every match of a rank read before the best 20 are picked):
  its answers must equal ours, ids and order;
* the baseline: ``LIKE '%text%'`` over a plain in-memory SQLite table of the same
  names;
* a Python scan of the names list (what the portable Gremlin implementation does
  after reading every name).

``--nodes-only`` writes only the DAG's nodes (same labels, ids and names), as
gremlite rows straight into a new file (``nodes-N.db``), without the search
table: search reads nothing else, and this takes minutes at 1,000,000 datasets
where the full DAG through the writer takes hours on a busy machine.

A file built before the search table gets it once, timed (``--cache`` files are
changed in place: point it at a copy to keep the originals as they were). Prints
p50/p95 of wall and CPU time, result counts, the ratios of ours to the LIKE scan
and the load average. Timings on a shared machine are noisy: compare figures
from one run only.

    python scripts/bench_search.py --sizes 10000,100000,1000000 --samples 15
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_query import LAYERS, build, graph_path  # noqa: E402
from benchkit import bench_args, load_average, stats, timed_cpu  # noqa: E402

from lineage import LineageAnalysis  # noqa: E402
from lineage.graph import SqlGraph  # noqa: E402
import lineage.graph.sqlsearch as sqlsearch  # noqa: E402
from lineage.graph.searchindex import ensure_search_index  # noqa: E402
from lineage.graph.textsearch import ensure_text_index  # noqa: E402


def before(q, text):
    """The same search ranked as before the search table (over the strings' trigram index)."""
    indexed = sqlsearch._indexed
    sqlsearch._indexed = lambda _graph: False
    try:
        return q.search(text, limit=20)
    finally:
        sqlsearch._indexed = indexed


def nodes_only(path: Path, n: int):
    """The nodes of ``build``'s DAG of ``n`` datasets, written as gremlite rows into a new
    file without the search table (so that it is built, timed, as for an older file)."""
    from lineage import LineageStore, Settings
    from lineage.graph.searchindex import SEARCH, SEARCH_TEXT

    if path.exists():
        return build(path, n)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    with LineageStore(Settings.from_env({}, db=str(tmp))):
        pass
    graph = build(tmp, n)          # the file exists: only the graph's description is made
    con = sqlite3.connect(tmp)
    # a scratch file until it is renamed: no journal, no fsync, a large page cache
    con.executescript("PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;")
    con.executescript(f"DROP TRIGGER {SEARCH}_ins; DROP TRIGGER {SEARCH}_upd; DROP TRIGGER {SEARCH}_del; "
                      f"DROP VIEW {SEARCH}_rows; DROP TABLE {SEARCH}; DROP TABLE {SEARCH_TEXT};")
    per_layer = n // LAYERS
    nodes = [("Dataset", {"dataset_id": f"l{layer}/ds_{i}", "namespace": f"l{layer}", "name": f"ds_{i}",
                          "layer": "bronze" if layer == 0 else "silver", "version": "v1"})
             for layer in range(LAYERS) for i in range(per_layer)]
    nodes += [("Pipeline", {"pipeline_id": job, "name": job, "code_version": "1"})
              for job in sorted(set(graph.graph["pipelines"].values()))]
    nodes += [("Model", {"model_id": mid, "model_name": mid[:-2], "version": "1"})
              for label, mid in sorted(graph.nodes) if label == "Model"]
    texts = sorted({t for label, props in nodes for t in (label, *props, *props.values())})
    con.executemany("INSERT OR IGNORE INTO strings (v) VALUES (?)", ((t,) for t in texts))
    sid = dict(con.execute("SELECT v, id FROM strings"))
    top = con.execute("SELECT COALESCE(MAX(id), 0) FROM graphelts").fetchone()[0]
    rows, vid = [], top
    for label, props in nodes:
        vid += 1
        s = vid
        rows.append((s, 0, sid[label], 0))
        for key, value in props.items():
            vid += 1
            rows.append((s, sid[key], sid[value], vid))
    con.executemany("INSERT INTO graphelts (id) VALUES (?)", ((i,) for i in range(top + 1, vid + 1)))
    con.executemany("INSERT INTO quads (s, p, o, g) VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    tmp.rename(path)
    return graph


def main() -> int:
    args, cache, sizes = bench_args(__doc__, 15, [("--nodes-only", "write only the nodes, as rows (see above)")])
    rng = random.Random(11)
    print(load_average())
    print("ms: p50 and p95 of wall and CPU time; 'before' is the ranking before the search table, "
          "'LIKE' a scan of a plain names table, 'list' a Python scan of the names")
    print(f"{'size':>8} {'query':<6} {'ours p50':>8} {'p95':>7} {'cpu p50':>7} {'p95':>7} | {'before':>7} "
          f"{'cpu':>7} | {'LIKE p50':>8} {'p95':>7} {'cpu p50':>7} | {'list':>7} | {'ours/LIKE':>9} {'cpu':>6} "
          f"| {'hits':>4}")
    for n in sizes:
        path = cache / f"nodes-{n}.db" if args.nodes_only else graph_path(cache, n)
        graph = nodes_only(path, n) if args.nodes_only else build(path, n)
        con = sqlite3.connect(path)
        ensure_text_index(con)      # the index the ranking before the search table reads
        wall, cpu, _ = timed_cpu(ensure_search_index, con)
        print(f"{n:>8} search table ready in {wall / 1000:.1f}s wall, {cpu / 1000:.1f}s CPU "
              f"({con.execute('SELECT count(*) FROM lineage_search').fetchone()[0]} nodes)")
        q = LineageAnalysis(SqlGraph(con))
        names = sorted({key for _, key in graph.nodes} | set(graph.graph["pipelines"].values()))
        plain = sqlite3.connect(":memory:")
        plain.execute("CREATE TABLE names (v TEXT)")
        plain.executemany("INSERT INTO names VALUES (?)", ((v,) for v in names))
        datasets = [k.split("/")[1] for _, k in graph.nodes if "/" in k]
        texts = {
            "short": [rng.choice(datasets) for _ in range(args.samples)],
            "part": [rng.choice(datasets)[1:-1] for _ in range(args.samples)],
            "word": [f"job_{rng.randint(1, 11)}" for _ in range(args.samples)],
        }
        for kind, sample in texts.items():
            ours, ours_cpu, old, old_cpu, like, like_cpu, scan, hits = ([] for _ in range(8))
            for text in sample:   # interleaved: every path shares whatever noise there is
                ms, cpu_ms, found = timed_cpu(q.search, text, None, 20)
                ours.append(ms)
                ours_cpu.append(cpu_ms)
                hits.append(len(found))
                ms, cpu_ms, slow = timed_cpu(before, q, text)
                old.append(ms)
                old_cpu.append(cpu_ms)
                assert [x["id"] for x in slow] == [x["id"] for x in found], text
                ms, cpu_ms, _ = timed_cpu(lambda: plain.execute("SELECT v FROM names WHERE v LIKE ?",
                                                                (f"%{text}%",)).fetchall())
                like.append(ms)
                like_cpu.append(cpu_ms)
                low = text.casefold()
                scan.append(timed_cpu(lambda: [v for v in names if low in v.casefold()])[0])
            (p50, p95), (c50, c95) = stats(ours), stats(ours_cpu)
            (l50, l95), lc50 = stats(like), stats(like_cpu)[0]
            print(f"{n:>8} {kind:<6} {p50:>8.2f} {p95:>7.2f} {c50:>7.2f} {c95:>7.2f} | {stats(old)[0]:>7.1f} "
                  f"{stats(old_cpu)[0]:>7.1f} | {l50:>8.2f} {l95:>7.2f} {lc50:>7.2f} | {stats(scan)[0]:>7.1f} | "
                  f"{p50 / l50:>8.2f}x {c50 / max(lc50, 1e-3):>5.2f}x | {statistics.median(hits):>4.0f}")
        con.close()
    print(load_average())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
