#!/usr/bin/env python
"""Ingest throughput on the embedded default, beside a durable relational floor.

Generates a realistic OpenLineage stream (jobs layered bronze -> silver -> gold,
START + COMPLETE per run, 1-4 inputs and 1-2 outputs per job, schema facets and
dataset versions), ingests it through ``LineageStore.ingest`` into a fresh
SQLite file, replays it with ``rebuild``, and, interleaved in the same run,
writes the durable relational floor: each event's raw JSON and fingerprint and
upserts of the same datasets, jobs, runs and edges into plain indexed tables,
same batches, WAL and ``synchronous=FULL``. With ``--raw`` it also writes the
final graph straight into gremlite with one traversal per element.

Prints events/s for each and the ratio of ours to the floor.

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


FLOOR_SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, fingerprint TEXT UNIQUE, payload TEXT);
CREATE TABLE datasets (id TEXT PRIMARY KEY, namespace TEXT, name TEXT, version TEXT, schema_fields TEXT,
                       first_seen TEXT, last_seen TEXT);
CREATE TABLE jobs (id TEXT PRIMARY KEY, namespace TEXT, name TEXT, code_version TEXT, first_seen TEXT, last_seen TEXT);
CREATE TABLE runs (id TEXT PRIMARY KEY, job_id TEXT, state TEXT, started_at TEXT, ended_at TEXT);
CREATE TABLE edges (src TEXT, label TEXT, dst TEXT, pipeline_id TEXT, version TEXT, first_seen TEXT, last_seen TEXT,
                    PRIMARY KEY (src, label, dst, pipeline_id));
"""


def relational_floor(path: Path, events: list[dict], batch: int) -> float:
    """The durable relational floor: each event's raw JSON and fingerprint, and upserts of
    the same datasets, jobs, runs and edges into plain tables, in transactions of
    ``batch`` events with the embedded store's WAL and fsync settings."""
    import hashlib
    import json
    import sqlite3

    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.executescript(FLOOR_SCHEMA)
    started = time.perf_counter()
    for i in range(0, len(events), batch):
        rows: dict[str, list] = {"events": [], "datasets": [], "jobs": [], "runs": [], "edges": []}
        for ev in events[i:i + batch]:
            payload = json.dumps(ev, sort_keys=True, separators=(",", ":"))
            rows["events"].append((hashlib.sha256(payload.encode()).hexdigest(), payload))
            at, job = ev["eventTime"], f"{ev['job']['namespace']}/{ev['job']['name']}"
            code = ev["job"]["facets"].get("sourceCodeLocation", {}).get("version")
            rows["jobs"].append((job, ev["job"]["namespace"], ev["job"]["name"], code, at, at))
            state = ev["eventType"]
            rows["runs"].append((ev["run"]["runId"], job, state, at if state == "START" else None,
                                 at if state != "START" else None))
            ins = [f"{d['namespace']}/{d['name']}" for d in ev["inputs"]]
            for d in ev["inputs"] + ev["outputs"]:
                f = d["facets"]
                rows["datasets"].append((f"{d['namespace']}/{d['name']}", d["namespace"], d["name"],
                                         f.get("version", {}).get("datasetVersion"),
                                         json.dumps(f["schema"]["fields"]) if "schema" in f else None, at, at))
            for d in ev["inputs"]:
                rows["edges"].append((job, "CONSUMES", f"{d['namespace']}/{d['name']}", job, None, at, at))
            for d in ev["outputs"]:
                out = f"{d['namespace']}/{d['name']}"
                rows["edges"].append((out, "GENERATED_BY", job, job, None, at, at))
                rows["edges"].extend((out, "DERIVED_FROM", src, job, None, at, at) for src in ins if src != out)
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT OR IGNORE INTO events (fingerprint, payload) VALUES (?, ?)", rows["events"])
        con.executemany(
            "INSERT INTO datasets VALUES (?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET "
            "version = coalesce(excluded.version, version), schema_fields = coalesce(excluded.schema_fields, "
            "schema_fields), first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen)", rows["datasets"])
        con.executemany(
            "INSERT INTO jobs VALUES (?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET "
            "code_version = coalesce(excluded.code_version, code_version), "
            "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)",
            rows["jobs"])
        con.executemany(
            "INSERT INTO runs VALUES (?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
            "started_at = coalesce(started_at, excluded.started_at), ended_at = coalesce(excluded.ended_at, ended_at)",
            rows["runs"])
        con.executemany(
            "INSERT INTO edges VALUES (?,?,?,?,?,?,?) ON CONFLICT (src, label, dst, pipeline_id) DO UPDATE SET "
            "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)",
            rows["edges"])
        con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5000, help="runs to generate (two events each)")
    parser.add_argument("--jobs", type=int, default=400, help="distinct jobs")
    parser.add_argument("--batch", type=int, default=500, help="events per transaction")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repeats of each path")
    parser.add_argument("--raw", action="store_true", help="also time raw gremlite writing the final graph (slow)")
    args = parser.parse_args()

    events = generate(args.runs, args.jobs)
    ours, floor, rebuilds = [], [], []
    cpu: dict[str, list[float]] = {"ours": [], "rebuild": [], "floor": []}  # the process's CPU seconds
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):  # interleaved: each path sees the same share of the machine's noise
            settings = Settings.from_env({}, db=str(Path(tmp) / f"ours{rep}.db"), batch_size=args.batch)
            with LineageStore(settings) as store:
                started, c0 = time.perf_counter(), time.process_time()
                for i in range(0, len(events), args.batch):
                    store.ingest(events[i:i + args.batch])
                ours.append(time.perf_counter() - started)
                cpu["ours"].append(time.process_time() - c0)
                snapshot = store.snapshot()
                started, c0 = time.perf_counter(), time.process_time()
                store.rebuild()
                rebuilds.append(time.perf_counter() - started)
                cpu["rebuild"].append(time.process_time() - c0)
                assert store.snapshot() == snapshot, "rebuild must give the same graph"
            c0 = time.process_time()
            floor.append(relational_floor(Path(tmp) / f"floor{rep}.db", events, args.batch))
            cpu["floor"].append(time.process_time() - c0)
        raw = raw_write(Path(tmp) / "raw.db", snapshot) if args.raw else None

    n = len(events)
    nv, ne = len(snapshot["vertices"]), len(snapshot["edges"])
    best = lambda xs: min(xs)  # noqa: E731  (least disturbed of the interleaved repeats)
    print(f"stream: {n} events ({args.runs} runs of {args.jobs} jobs), graph: {nv} vertices, {ne} edges; "
          f"best of {args.repeat} interleaved repeats (all: ours {[round(n / x) for x in ours]}, "
          f"floor {[round(n / x) for x in floor]})")
    print("events/s on the wall clock and per second of the process's CPU time (waiting for a core on a\n"
          "busy machine is not counted; fsync waits are not either)")
    print(f"{'path':44} {'seconds':>8} {'events/s':>10} {'cpu s':>8} {'per cpu s':>10}")
    for name, wall, key in ((f"lineage ingest (batch {args.batch})", ours, "ours"),
                            ("lineage rebuild (replay of the event log)", rebuilds, "rebuild"),
                            ("durable relational floor", floor, "floor")):
        print(f"{name:44} {best(wall):8.2f} {n / best(wall):10.0f} {best(cpu[key]):8.2f} {n / best(cpu[key]):10.0f}")
    if raw is not None:
        print(f"{'raw gremlite, final graph only':44} {raw:8.2f} {n / raw:10.0f}")
    print(f"ours / relational floor: {best(floor) / best(ours):.2f} (CPU: {best(cpu['floor']) / best(cpu['ours']):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
