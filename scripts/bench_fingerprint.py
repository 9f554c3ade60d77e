"""Cost of data fingerprints per GB, beside hashlib.sha256 over the same bytes.

    python scripts/bench_fingerprint.py --mb 64

Builds tables of about --mb MB (Arrow size) of three shapes (numbers only;
numbers with a low-cardinality string; unique strings), and times, in the same
run: SHA-256 of the table's Arrow IPC bytes (the baseline: the cheapest
content hash of the same data), the byte fingerprint of those bytes, and the
table fingerprint in order (table-v1) and order-independent (rowset-v1).
Timings on a shared machine are noisy: each figure is the best of --repeat.
"""

from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np
import pyarrow as pa

from lineage.capture.fingerprint import fingerprint_bytes, fingerprint_table


def tables(mb: int) -> dict[str, pa.Table]:
    rng = np.random.default_rng(7)
    rows = mb * (1 << 20) // 24
    numbers = pa.table({"id": np.arange(rows), "qty": rng.integers(0, 100, rows), "price": rng.random(rows)})
    rows_mixed = mb * (1 << 20) // 30
    mixed = pa.table({"id": np.arange(rows_mixed), "price": rng.random(rows_mixed),
                      "country": pa.array(np.array(["de", "fr", "us", "br", "jp"])[rng.integers(0, 5, rows_mixed)])
                      .cast(pa.string())})
    rows_str = mb * (1 << 20) // 28
    unique = pa.table({"key": pa.array([f"customer-{i:012d}" for i in range(rows_str)])})
    return {"numbers": numbers, "numbers+low-card string": mixed, "unique strings": unique}


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=64, help="approximate size of each table in MB, e.g. 64")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts, e.g. 3")
    args = parser.parse_args()
    print(f"{'table':26} {'MB':>6} {'method':24} {'s/GB':>8} {'MB/s':>8} {'x sha256':>9}")
    for name, table in tables(args.mb).items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue().to_pybytes()
        mb = len(data) / (1 << 20)
        base = best(lambda: hashlib.sha256(data).digest(), args.repeat)
        rows = [("hashlib.sha256 (baseline)", base),
                ("fingerprint_bytes", best(lambda: fingerprint_bytes(data), args.repeat)),
                ("table-v1 (ordered)", best(lambda: fingerprint_table(table), args.repeat)),
                ("rowset-v1 (any order)", best(lambda: fingerprint_table(table, order_independent=True), args.repeat))]
        for method, seconds in rows:
            print(f"{name:26} {mb:6.0f} {method:24} {seconds / mb * 1024:8.2f} {mb / seconds:8.0f} "
                  f"{seconds / base:9.2f}")


if __name__ == "__main__":
    main()
