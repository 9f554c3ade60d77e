"""Provenance: a durable, exportable record of what happened to the data of
every finished run, as partitioned Parquet; DuckDB queries over it; and
retention (age-off) of provenance files, Run vertices and event-log rows.

    from lineage.provenance import ProvenanceRecorder, run_sql

Modules: ``records`` (what a record says and how it is built from the graph),
``parquet`` (the on-disk layout, flush and compaction), ``recorder`` (the
buffer the store feeds after each commit), ``query`` (DuckDB), ``retention``.
"""

from .parquet import SCHEMA
from .query import ProvenanceFilter, connect, find, run_sql, summary
from .records import FINAL_STATES, ProvenanceRecord
from .recorder import FlushResult, ProvenanceRecorder, ProvenanceSettings
from .retention import RetentionPlan, plan as retention_plan

__all__ = ["SCHEMA", "ProvenanceFilter", "connect", "find", "run_sql", "summary", "FINAL_STATES",
           "ProvenanceRecord", "FlushResult", "ProvenanceRecorder", "ProvenanceSettings", "RetentionPlan",
           "retention_plan"]
