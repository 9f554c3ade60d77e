"""Directional data and ML lineage from OpenLineage events, in a property graph."""

from ._analysis import LineageAnalysis
from ._builders import DatasetSpec
from ._client import JanusGraphClient
from ._errors import (Ambiguous, BackendError, ConfigurationError, Forbidden, InvalidArgument, InvalidEvent,
                      LineageError, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType)
from ._events import Event, parse_event
from ._ids import NodeKey
from ._settings import SETTINGS, Setting, Settings
from ._store import IngestResult, LineageStore, Rejected
from .graph import Graph
from .limits import JsonLimits



_CAPTURE = ("LineageTracker", "OperationType", "set_global_tracker", "get_global_tracker", "track_lineage",
            "create_versioned_query", "Fingerprint", "fingerprint")
_LAZY = {  # loaded on first use: the web stack, numpy, pyarrow and DuckDB only when wanted
    "create_app": "._server", "LineageQueryEngine": ".query", "LineageVisualizer": ".query",
    "LineageMetadataRepository": ".provenance", "ProvenanceRecorder": ".provenance",
    **{name: ".capture" for name in _CAPTURE},
    **{name: ".replay" for name in ("Replayer", "RootCause", "what_if", "FunctionStore")},
    "ColumnLineage": ".columns",
    "VersionHistory": ".versions",
}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'lineage' has no attribute {name!r}")


__all__ = [
    # writing and storing
    "LineageStore", "IngestResult", "Rejected", "Event", "parse_event",
    # asking
    "JanusGraphClient", "LineageAnalysis", "NodeKey", "DatasetSpec", "Graph",
    # column lineage (lineage.columns)
    "ColumnLineage",
    # dataset versions and lineage as of a time (lineage.versions)
    "VersionHistory",
    # capturing (lineage.capture)
    "LineageTracker", "OperationType", "set_global_tracker", "get_global_tracker", "track_lineage",
    "create_versioned_query", "Fingerprint", "fingerprint",
    # provenance, analytics and exports
    "ProvenanceRecorder", "LineageMetadataRepository", "LineageQueryEngine", "LineageVisualizer",
    # replaying (lineage.replay)
    "Replayer", "RootCause", "what_if", "FunctionStore",
    # serving
    "create_app",
    # configuration
    "Settings", "Setting", "SETTINGS", "JsonLimits",
    # errors
    "LineageError", "ConfigurationError", "InvalidEvent", "InvalidArgument", "Unauthorized", "Forbidden",
    "NotFound", "Ambiguous", "PayloadTooLarge", "UnsupportedMediaType", "BackendError",
]
