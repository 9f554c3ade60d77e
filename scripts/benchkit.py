"""What the graph benchmarks share: their arguments, one timed call (wall and CPU time)
and the percentiles they print."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any, Callable


def bench_args(doc: str | None, samples: int,
               flags: list[tuple[str, str]] = ()) -> tuple[argparse.Namespace, Path, list[int]]:
    """The arguments of a benchmark over the cached generated graphs, with its own on/off
    ``flags`` (name, help): (args, cache, sizes)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="dataset counts, comma-separated, e.g. 10000,1000000")
    parser.add_argument("--samples", type=int, default=samples, help=f"texts or starts per query, e.g. {samples}")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "lineage-bench"),
                        help="where the generated graphs are kept, e.g. ~/.cache/lineage-bench")
    for flag, text in flags:
        parser.add_argument(flag, action="store_true", help=text)
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    return args, cache, [int(s) for s in args.sizes.split(",")]


def timed_cpu(fn: Callable[..., Any], *args: Any) -> tuple[float, float, Any]:
    """(wall ms, CPU ms of this process, result) of one call: on a busy machine the CPU
    time is the steadier figure (waiting for a core is not counted)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000, out


def stats(times: list[float]) -> tuple[float, float]:
    """(p50, p95) of ``times``; NaN for none."""
    if not times:
        return (float("nan"), float("nan"))
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; 0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
