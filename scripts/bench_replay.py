"""What keeping replay material costs capture, and what replaying costs.

    python scripts/bench_replay.py --calls 200 --rows 1000

In one run, on a local store in a temporary directory:

* ``@track_lineage`` on a function of a DataFrame, captured without a replay
  folder (the baseline) and with one (the function store, and the input store
  writing Parquet): once with the same frame every call (kept once, then
  found by fingerprint) and once with a new frame every call (written every
  call);
* replaying a recorded three-step run beside running the three steps plainly.

Timings on a shared machine are noisy: each figure is the median of batches.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from lineage import LineageStore, LineageTracker, Replayer, Settings, track_lineage


def per_call(fn, frames, batches: int = 10) -> float:
    batch = max(1, len(frames) // batches)
    times = []
    for b in range(batches):
        chunk = frames[b * batch:(b + 1) * batch]
        started = time.perf_counter()
        for frame in chunk:
            fn(frame)
        times.append((time.perf_counter() - started) / len(chunk))
    return statistics.median(times)


def double(frame, factor=2):
    return frame.assign(value=frame["value"] * factor)


def add_one(frame):
    return frame.assign(value=frame["value"] + 1)


def total(frame):
    return frame.groupby("key", as_index=False)["value"].sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="calls per measurement, e.g. --calls 500")
    parser.add_argument("--rows", type=int, default=1000, help="rows of each frame, e.g. --rows 10000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({}, db=str(Path(tmp) / "bench.db"))
        store = LineageStore(settings)
        base = pd.DataFrame({"key": [i % 50 for i in range(args.rows)], "value": list(range(args.rows))})
        same = [base] * args.calls
        fresh = [base.assign(value=base["value"] + i) for i in range(args.calls)]
        results = {}
        for label, folder, frames in (("no replay folder (baseline)", None, same),
                                      ("replay folder, same frame", Path(tmp) / "r1", same),
                                      ("replay folder, new frame each call", Path(tmp) / "r2", fresh)):
            tracker = LineageTracker(store=store, replay_dir=folder)
            fn = track_lineage(double, tracker=tracker)
            fn(frames[0])
            results[label] = per_call(fn, frames)
            tracker.flush()
            tracker.close()
        baseline = results["no replay folder (baseline)"]
        print(f"capture of a {args.rows}-row frame, per call ({args.calls} calls):")
        for label, value in results.items():
            print(f"  {label:38s} {value * 1000:8.2f} ms   {value / baseline:5.2f}x")

        folder = Path(tmp) / "r3"
        tracker = LineageTracker(store=store, replay_dir=folder)
        steps = [track_lineage(f, tracker=tracker) for f in (double, add_one, total)]
        with tracker.operation("bench_pipeline") as op:
            steps[2](steps[1](steps[0](base)))
        tracker.flush()
        tracker.close()
        replayer = Replayer(store, str(folder))
        plain = statistics.median(_time(lambda: total(add_one(double(base)))) for _ in range(10))
        replay = statistics.median(_time(lambda: replayer.replay(op.run_id)) for _ in range(10))
        assert replayer.replay(op.run_id).reproduced
        print(f"three steps plainly {plain * 1000:8.2f} ms; replayed (load versions and inputs, fingerprint, "
              f"compare) {replay * 1000:8.2f} ms   {replay / plain:5.1f}x")
        store.close()


def _time(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
