"""Directional data and ML lineage from OpenLineage events, in a property graph."""

from ._analysis import LineageAnalysis
from ._builders import DatasetSpec
from ._client import JanusGraphClient
from ._errors import (Ambiguous, BackendError, ConfigurationError, InvalidArgument, InvalidEvent,
                      LineageError, NotFound)
from ._events import Event, parse_event
from ._ids import NodeKey
from ._settings import SETTINGS, Setting, Settings
from ._store import IngestResult, LineageStore, Rejected

__all__ = [
    "Ambiguous", "BackendError", "ConfigurationError", "DatasetSpec", "Event", "IngestResult", "InvalidArgument",
    "InvalidEvent", "JanusGraphClient", "LineageAnalysis", "LineageError", "LineageStore", "NodeKey", "NotFound", "Rejected", "SETTINGS",
    "Setting", "Settings", "parse_event",
]
