"""Replay, what-if and root cause from recorded provenance.

* :class:`FunctionStore` (``functions.py``): each captured function version,
  kept by its version hash with the source and the names it resolves, so it
  loads again after the code changed; what cannot be rebuilt is said per
  function when it is stored;
* :class:`InputStore` (``inputs.py``): the data steps read and wrote, kept by
  fingerprint as Parquet (or bytes), capped in size;
* :class:`Replayer` (``engine.py``): re-run a recorded run step by step and
  report each step as reproduced or diverged, with the difference;
* :func:`what_if` (``whatif.py``): the same with an alternate function or
  parameters, and the downstream that would be affected;
* :class:`RootCause` (``rootcause.py``): the first step where a good and a bad
  run parted ways, with the code versions and the source diff.

Capture fills both stores when ``LINEAGE_REPLAY_DIR`` is set (or
``LineageTracker(replay_dir=...)``).
"""

import importlib
from typing import Any

_WHERE = {"Replayer": "engine", "ReplayReport": "engine", "StepResult": "engine", "OutputResult": "engine",
          "FunctionStore": "functions", "FunctionEntry": "functions", "load_current": "functions",
          "InputStore": "inputs", "RootCause": "rootcause", "source_diff": "rootcause", "what_if": "whatif"}


def __getattr__(name: str) -> Any:  # numpy and pyarrow load when replay is used, not with the CLI
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_WHERE)
