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
from .limits import JsonLimits



_CAPTURE = ("LineageTracker", "OperationType", "set_global_tracker", "get_global_tracker", "track_lineage",
            "create_versioned_query", "Fingerprint", "fingerprint")
_REPLAY = ("Replayer", "RootCause", "what_if", "FunctionStore")


def __getattr__(name: str):
    if name == "create_app":  # the web stack loads only when the server is wanted
        from ._server import create_app
        return create_app
    if name in _CAPTURE:  # numpy and the capture SDK load on first use
        from . import capture
        return getattr(capture, name)
    if name in _REPLAY:  # lineage.replay: replay, what-if and root cause
        from . import replay
        return getattr(replay, name)
    raise AttributeError(f"module 'lineage' has no attribute {name!r}")


__all__ = [
    # writing and storing
    "LineageStore", "IngestResult", "Rejected", "Event", "parse_event",
    # asking
    "JanusGraphClient", "LineageAnalysis", "NodeKey", "DatasetSpec",
    # capturing (lineage.capture)
    "LineageTracker", "OperationType", "set_global_tracker", "get_global_tracker", "track_lineage",
    "create_versioned_query", "Fingerprint", "fingerprint",
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
