#!/usr/bin/env python
"""What the audit trail costs per event, beside the work it adds to.

Stamping an accepted event with its audit facet re-parses the stamped copy
(so the logged payload, the translator and ``lineage rebuild`` all see the same
event). This times, over the same generated events in the same run:

* baseline: ``parse_event`` (what every accepted event already costs), and
  ``LineageStore.ingest`` into a fresh SQLite file (the whole write path);
* audit: ``stamp`` of each parsed event, and ingest of the stamped events
  (the extra graph properties on runs).

and prints each with its ratio (ingest: best of two alternating rounds). The machine is shared: expect noise of 10-20 %.

    python scripts/bench_audit.py --runs 2000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import generate  # noqa: E402

from lineage import LineageStore, Settings  # noqa: E402
from lineage._events import parse_event  # noqa: E402
from lineage.catalog.audit import AuditContext, stamp  # noqa: E402


def timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=2000, help="pipeline runs to generate (2 events each), e.g. 2000")
    args = ap.parse_args()
    raw = generate(args.runs, max(10, args.runs // 20))
    ctx = AuditContext("bench-request", "bench", "127.0.0.1", "2026-01-01T00:00:00.000000Z",
                       {"execPath": "bench", "inputRequestIds": ["a:1", "b:2"]})
    parsed = [parse_event(r) for r in raw]
    t_parse = timed(lambda: [parse_event(r) for r in raw])
    stamped: list = []
    t_stamp = timed(lambda: stamped.extend(stamp(e, ctx) for e in parsed))
    audited_raw = [dict(e.raw) for e in stamped]
    plain_times, audited_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(2):   # alternate, best of two each: warm-up and noise hit both alike
            for name, events, times in (("plain", raw, plain_times), ("audited", audited_raw, audited_times)):
                with LineageStore(Settings.from_env({}, db=f"{tmp}/{name}{round_}.db")) as store:
                    times.append(timed(lambda: store.ingest(events)))
    t_plain, t_audited = min(plain_times), min(audited_times)
    n = len(raw)
    print(f"{n} events")
    print(f"parse_event            {n / t_parse:10.0f} events/s   (baseline)")
    print(f"stamp (audit facet)    {n / t_stamp:10.0f} events/s   cost {t_stamp / t_parse:.2f}x a parse")
    print(f"ingest, no audit       {n / t_plain:10.0f} events/s   (baseline)")
    print(f"ingest, audited        {n / t_audited:10.0f} events/s   ratio {t_plain / t_audited:.2f} of baseline")


if __name__ == "__main__":
    main()
