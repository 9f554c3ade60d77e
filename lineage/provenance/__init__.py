"""Provenance: a durable, exportable record of what happened to the data of
every finished run, as partitioned Parquet; DuckDB queries over it; and
retention (age-off) of provenance files, Run vertices and event-log rows.

    from lineage.provenance import ProvenanceRecorder, run_sql

Modules: ``records`` (what a record says and how it is built from the graph),
``parquet`` (the on-disk layout, flush and compaction), ``recorder`` (the
buffer the store feeds after each commit), ``operations`` (one row per finished
run, Hive-partitioned: the tracker's ``LineageMetadataRepository``), ``query``
(DuckDB), ``retention``,
``cli``. Names load on first use, so the ``lineage`` command starts without
pyarrow or DuckDB.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "SCHEMA": "parquet", "ProvenanceFilter": "query", "connect": "query", "find": "query", "run_sql": "query",
    "summary": "query", "FINAL_STATES": "records", "ProvenanceRecord": "records", "FlushResult": "recorder",
    "ProvenanceRecorder": "recorder", "ProvenanceSettings": "recorder", "RetentionPlan": "retention",
    "retention_plan": "retention", "LineageMetadataRepository": "operations",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'lineage.provenance' has no attribute {name!r}")
    module = import_module(f".{_WHERE[name]}", __name__)
    return getattr(module, "plan" if name == "retention_plan" else name)
