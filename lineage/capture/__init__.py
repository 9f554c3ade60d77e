"""Capture: lineage and provenance from plain Python and DuckDB.

* :class:`LineageTracker`, :func:`set_global_tracker`, :func:`track_lineage`,
  :class:`OperationType` and ``tracker.operation(...)``: each captured step is
  an OpenLineage run (START, then COMPLETE or FAIL) with its code version,
  parameters and the fingerprints, rows and bytes of what it read and wrote;
* :mod:`~lineage.capture.fingerprint`: content fingerprints of bytes, files
  and tables (pandas, pyarrow, DuckDB);
* :func:`create_versioned_query`: DuckDB queries with SQL code versions and
  output fingerprints;
* the capture points of the lineage guide: ``tracker.ingest``,
  ``tracker.execute``, ``tracker.train``, ``tracker.promote``.

Events go through the OpenLineage client when a transport is configured
(``OPENLINEAGE_URL``, ``openlineage.yml``), else straight into the local store.
"""

from .codeversion import code_version, function_id
from .decorators import track_lineage
from .fingerprint import Fingerprint, fingerprint, fingerprint_bytes, fingerprint_file, fingerprint_table
from .record import DataRecord, OperationType, StepRecord
from .tracker import LineageTracker, Operation, get_global_tracker, set_global_tracker
from .versioned_query import VersionedQuery, create_versioned_query
from .heartbeat import Reporter  # noqa: F401  (component heartbeats)

__all__ = [
    "LineageTracker", "Operation", "OperationType", "StepRecord", "DataRecord",
    "set_global_tracker", "get_global_tracker", "track_lineage",
    "Fingerprint", "fingerprint", "fingerprint_bytes", "fingerprint_file", "fingerprint_table",
    "code_version", "function_id",
    "VersionedQuery", "create_versioned_query",
]
