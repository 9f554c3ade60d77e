"""Dataset version history and lineage as of a time.

* :mod:`lineage.versions.record`: the ``DatasetVersion`` elements the translator
  asserts (what a version is, where it comes from);
* :mod:`lineage.versions.asof`: the "as of T" rule every backend applies;
* :mod:`lineage.versions.history`: a dataset's versions with schema changes and inputs;
* :mod:`lineage.versions.cli`: ``lineage versions DATASET``.

The translator imports :mod:`.record` while the query layer loads, so the query
side is imported on first use.
"""

from __future__ import annotations

from typing import Any

from .asof import as_of_time, edge_live

__all__ = ["VersionHistory", "schema_change", "as_of_time", "edge_live"]


def __getattr__(name: str) -> Any:
    if name in ("VersionHistory", "schema_change"):
        from . import history
        return getattr(history, name)
    raise AttributeError(f"module 'lineage.versions' has no attribute {name!r}")
