"""Contracts that must not drift: the public API, the schema script, the documented settings."""

import re

import attr

import lineage
from conftest import REPO
from lineage import _model as m
from lineage._settings import SETTINGS

PUBLIC = [
    "Ambiguous", "BackendError", "ConfigurationError", "DatasetSpec", "create_app", "Event", "Forbidden", "IngestResult", "InvalidArgument",
    "InvalidEvent", "JanusGraphClient", "LineageAnalysis", "LineageError", "LineageStore", "NodeKey", "NotFound", "PayloadTooLarge", "Rejected", "SETTINGS", "Unauthorized",
    "Setting", "Settings", "parse_event", "UnsupportedMediaType", "JsonLimits", "Graph",
    "LineageTracker", "OperationType", "set_global_tracker", "get_global_tracker", "track_lineage",
    "create_versioned_query", "Fingerprint", "fingerprint",
    "ProvenanceRecorder", "LineageMetadataRepository", "LineageQueryEngine", "LineageVisualizer",
    "Replayer", "RootCause", "what_if", "FunctionStore",
    "ColumnLineage",
    "VersionHistory",
]


def test_public_api_is_pinned():
    assert sorted(lineage.__all__) == sorted(PUBLIC)
    for name in lineage.__all__:
        assert getattr(lineage, name) is not None


def test_errors_share_one_root_and_carry_a_status():
    for name in ("Ambiguous", "BackendError", "ConfigurationError", "Forbidden", "InvalidArgument", "InvalidEvent",
                 "NotFound", "PayloadTooLarge", "Unauthorized", "UnsupportedMediaType"):
        cls = getattr(lineage, name)
        assert issubclass(cls, lineage.LineageError)
        assert 400 <= cls.status < 600
    err = lineage.NotFound("no dataset 'x'; search with a prefix")
    assert err.to_dict() == {"error": "not_found", "message": "no dataset 'x'; search with a prefix"}


def test_schema_script_declares_every_key_label_and_identity():
    script = (REPO / "scripts" / "janusgraph-schema.groovy").read_text()
    quoted = set(re.findall(r"'([A-Za-z_]+)'", script))
    assert set(m.all_property_keys()) <= quoted
    assert set(m.VERTEX_LABELS) <= quoted and set(m.EDGE_LABELS) <= quoted
    for label, key in m.IDENTITY.items():
        assert f"{label}: '{key}'" in script


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"document these settings in README.md: {missing}"


def test_every_custom_facet_has_its_schema_file():
    from lineage import facets
    shipped = {p.stem for p in (REPO / "lineage" / "facets").glob("*.json")}
    assert {cls.__name__ for cls in facets.FACET_CLASSES} == shipped
    for cls in facets.FACET_CLASSES:
        url = cls._get_schema()
        assert url == f"{facets.SCHEMA_BASE}{cls.__name__}.json#/$defs/{cls.__name__}"
        assert cls(**{a.name: "x" for a in attr.fields(cls) if a.default is attr.NOTHING})._schemaURL == url
