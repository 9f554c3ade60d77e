#!/usr/bin/env python
"""Ingest throughput on the embedded default, beside the raw engine.

Generates a realistic OpenLineage stream (jobs layered bronze -> silver -> gold,
START + COMPLETE per run, 1-4 inputs and 1-2 outputs per job, schema facets and
dataset versions), ingests it through ``LineageStore.ingest`` into a fresh
SQLite file, then writes the very same final vertices and edges straight into
a second fresh gremlite file with one traversal per element (addV or addE
with all its properties), committing every 1,000 elements: the raw engine
writing only the final graph, with none of the per-run updates (last_seen,
versions, run states) that ingestion must make.

Prints events/s for both and the ratio of ours to the raw engine.

    python scripts/bench_ingest.py --runs 5000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from gremlin_python.process.anonymous_traversal import traversal

from lineage import LineageStore, Settings

TYPES = ["BIGINT", "VARCHAR", "DOUBLE", "TIMESTAMP", "BOOLEAN", "DATE"]


def generate(runs: int, jobs: int, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    layers = ["bronze", "silver", "gold"]
    datasets: dict[str, list[str]] = {layer: [] for layer in layers}
    job_specs = []
    for j in range(jobs):
        layer = layers[min(2, j * 3 // jobs)]
        prev = {"bronze": None, "silver": "bronze", "gold": "silver"}[layer]
        outs = [f"{layer}/table_{j}_{k}" for k in range(rng.randint(1, 2))]
        if prev and datasets[prev]:
            ins = rng.sample(datasets[prev], min(len(datasets[prev]), rng.randint(1, 4)))
        else:
            ins = [f"s3://landing/source_{j}_{k}" for k in range(rng.randint(1, 2))]
        datasets[layer].extend(outs)
        schema = {o: [{"name": f"col_{c}", "type": rng.choice(TYPES)} for c in range(rng.randint(5, 15))]
                  for o in outs}
        job_specs.append((f"job_{j}", layer, ins, outs, schema))
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    events = []
    for r in range(runs):
        name, layer, ins, outs, schema = job_specs[rng.randrange(len(job_specs))]
        run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        start = base + timedelta(seconds=30 * r)
        def ds(d: str, output: bool) -> dict:
            ns, _, n = d.rpartition("/") if d.startswith("s3://") else d.partition("/")
            facets = {}
            if output:
                facets["schema"] = {"_producer": "bench", "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
                                    "fields": schema[d]}
                facets["version"] = {"_producer": "bench", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json",
                                     "datasetVersion": f"snap_{r}"}
            return {"namespace": ns, "name": n, "facets": facets}
        job = {"namespace": "bench", "name": name, "facets": {
            "jobType": {"_producer": "bench", "_schemaURL": "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json",
                        "processingType": "BATCH", "integration": "SPARK", "jobType": "JOB"},
            "sourceCodeLocation": {"_producer": "bench", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SourceCodeLocationJobFacet.json",
                                   "type": "git", "url": "https://git.example.com/etl", "version": f"v{r // 1000}"}}}
        for state, at in (("START", start), ("COMPLETE", start + timedelta(seconds=20))):
            events.append({"eventType": state, "eventTime": at.isoformat().replace("+00:00", "Z"),
                           "producer": "https://example.com/bench", "run": {"runId": run_id}, "job": job,
                           "inputs": [ds(d, False) for d in ins], "outputs": [ds(d, True) for d in outs],
                           "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"})
    return events


def raw_write(path: Path, snapshot: dict) -> float:
    """The final vertices and edges, one traversal per element, committed every 1,000."""
    from gremlite import SQLiteConnection

    remote = SQLiteConnection(path, autocommit=False)
    g = traversal().with_remote(remote)
    ids = {}
    identity = {"Dataset": "dataset_id", "Pipeline": "pipeline_id", "Model": "model_id",
                "Feature": "feature_view", "Run": "run_id"}
    started = time.perf_counter()
    for n, (label, props) in enumerate(snapshot["vertices"], 1):
        t = g.add_v(label)
        for k, v in props:
            t = t.property(k, v)
        ids[(label, dict(props)[identity[label]])] = t.id_().next()
        if n % 1000 == 0:
            remote.commit()
    for n, (label, out, in_, props) in enumerate(snapshot["edges"], 1):
        t = g.V(ids[out]).as_("a").V(ids[in_]).add_e(label).from_("a")
        for k, v in props:
            t = t.property(k, v)
        t.iterate()
        if n % 1000 == 0:
            remote.commit()
    remote.commit()
    elapsed = time.perf_counter() - started
    remote.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5000, help="runs to generate (two events each)")
    parser.add_argument("--jobs", type=int, default=400, help="distinct jobs")
    parser.add_argument("--batch", type=int, default=500, help="events per transaction")
    args = parser.parse_args()

    events = generate(args.runs, args.jobs)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({}, db=str(Path(tmp) / "ours.db"), batch_size=args.batch)
        with LineageStore(settings) as store:
            started = time.perf_counter()
            for i in range(0, len(events), args.batch):
                store.ingest(events[i:i + args.batch])
            ours = time.perf_counter() - started
            snapshot = store.snapshot()
        raw = raw_write(Path(tmp) / "raw.db", snapshot)

    n = len(events)
    nv, ne = len(snapshot["vertices"]), len(snapshot["edges"])
    print(f"stream: {n} events ({args.runs} runs of {args.jobs} jobs), graph: {nv} vertices, {ne} edges")
    print(f"{'path':40} {'seconds':>8} {'events/s':>10}")
    print(f"{'lineage ingest (batch %d)' % args.batch:40} {ours:8.2f} {n / ours:10.0f}")
    print(f"{'raw gremlite, final graph only':40} {raw:8.2f} {n / raw:10.0f}")
    print(f"ratio ours / raw engine: {raw / ours:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
