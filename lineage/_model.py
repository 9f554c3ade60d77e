"""The graph model: vertex and edge labels, identity keys, and how each
property is merged when several events speak of the same element.

This module is the contract the README documents and
``scripts/janusgraph-schema.groovy`` declares; a test keeps the two in step.
"""

from __future__ import annotations

from typing import Any

# Vertex labels and the property that identifies a vertex of each label.
DATASET, PIPELINE, MODEL, FEATURE, RUN = "Dataset", "Pipeline", "Model", "Feature", "Run"
# A data-quality check (a dbt test, an assertion job): attached to what it tests, never lineage.
CHECK = "Check"
# A column of a dataset (or feature view, model): column lineage, see lineage.columns.
FIELD = "Field"
# One version of a dataset (a ``version`` facet, an Iceberg snapshot, a data fingerprint,
# or a run's write): see lineage.versions.
DATASET_VERSION = "DatasetVersion"
IDENTITY: dict[str, str] = {
    DATASET: "dataset_id",
    PIPELINE: "pipeline_id",
    MODEL: "model_id",
    FEATURE: "feature_view",
    RUN: "run_id",
    CHECK: "check_id",
    FIELD: "field_id",
    DATASET_VERSION: "version_id",
}
VERTEX_LABELS = tuple(IDENTITY)

# Edge labels, each with the labels it may join (out -> in).
DERIVED_FROM, GENERATED_BY, CONSUMES, TRAINED_ON, PRODUCES, RUN_OF = (
    "DERIVED_FROM", "GENERATED_BY", "CONSUMES", "TRAINED_ON", "PRODUCES", "RUN_OF")
CHECKS = "CHECKS"
# A run started by another run (OpenLineage's parent facet), and its job under the parent's job.
CHILD_OF = "CHILD_OF"
# Column lineage: an artifact's fields, and a field computed from another field.
HAS_FIELD, FIELD_DERIVED_FROM = "HAS_FIELD", "FIELD_DERIVED_FROM"
# A dataset version: of its dataset, written by its run, computed from the input versions
# (or, where an input named no version, from the input dataset as it was then).
VERSION_OF, CREATED_BY, COMPUTED_FROM = "VERSION_OF", "CREATED_BY", "COMPUTED_FROM"
EDGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    DERIVED_FROM: ((DATASET, FEATURE), (DATASET, MODEL, FEATURE)),
    GENERATED_BY: ((DATASET, MODEL), (PIPELINE,)),
    CONSUMES: ((PIPELINE,), (DATASET, MODEL, FEATURE)),
    TRAINED_ON: ((MODEL,), (DATASET, FEATURE)),
    PRODUCES: ((PIPELINE,), (FEATURE,)),
    RUN_OF: ((RUN,), (PIPELINE, CHECK)),
    CHECKS: ((CHECK,), (DATASET, MODEL, FEATURE)),
    CHILD_OF: ((RUN, PIPELINE), (RUN, PIPELINE)),
    HAS_FIELD: ((DATASET, FEATURE, MODEL), (FIELD,)),
    FIELD_DERIVED_FROM: ((FIELD,), (FIELD,)),
    VERSION_OF: ((DATASET_VERSION,), (DATASET,)),
    CREATED_BY: ((DATASET_VERSION,), (RUN,)),
    COMPUTED_FROM: ((DATASET_VERSION,), (DATASET_VERSION, DATASET)),
}
EDGE_LABELS = tuple(EDGES)

# Property keys, all single-valued strings unless listed in INT_KEYS or BOOL_KEYS.
# Catalog entries on datasets, who wrote a run and from what, and a component
# instance's heartbeats on its run (see lineage.catalog.facets).
CATALOG_KEYS = ("title", "media_type", "last_updated_at", "registered_at", "catalog_fields")
AUDIT_KEYS = ("request_id", "http_request_id", "principal", "client_address", "received_at", "exec_path",
              "input_request_ids", "data_source_name", "data_source_type")
HEARTBEAT_KEYS = ("instance_id", "reporting_period")
VERTEX_KEYS: dict[str, tuple[str, ...]] = {
    DATASET: ("dataset_id", "namespace", "name", "layer", "version", "dataset_type",
              "schema_fields", "description", "source", *CATALOG_KEYS),
    PIPELINE: ("pipeline_id", "namespace", "name", "version", "pipeline_type", "code_location",
               "code_version", "description", "sql_parse_error", "lineage_truncated", "component_type",
               "component_name", "parent_pipeline_id", "root_pipeline_id"),
    MODEL: ("model_id", "model_name", "version", "framework", "namespace", "name", "description"),
    FEATURE: ("feature_view", "feature_names", "version", "namespace", "name", "description"),
    RUN: ("run_id", "pipeline_id", "state", "started_at", "ended_at", "pipeline_version",
          "nominal_start", "nominal_end", "parent_run_id", "error_message", "code_version", "parameters",
          "inputs", "outputs", "sql_parse_error", "lineage_truncated", "checkpoint", "replay", *AUDIT_KEYS, *HEARTBEAT_KEYS,
          "result", "assertions", "parent_pipeline_id", "root_run_id", "root_pipeline_id"),
    CHECK: ("check_id", "namespace", "name", "check_type", "description", "failures_tables"),
    FIELD: ("field_id", "field_name", "field_of"),
    DATASET_VERSION: ("version_id", "dataset_id", "version", "version_source", "created_at", "row_count",
                      "schema_fields", "fingerprint"),
}
COMMON_KEYS = ("first_seen", "last_seen", "prop_times")
# Column lineage edges add how the field was computed (lineage.columns.facet).
TRANSFORMATION_KEYS = ("transformation_type", "transformation_subtype", "transformation_description",
                       "masking", "transformations")
EDGE_KEYS = ("pipeline_id", "version", "first_seen", "last_seen", "prop_times", *TRANSFORMATION_KEYS)
INT_KEYS: tuple[str, ...] = ()
BOOL_KEYS = ("masking",)
# A vertex's revision on a Gremlin Server: a token each write replaces, checked
# by the next writer (see lineage/_guarded.py). Like prop_times, never shown.
REV = "rev"
INTERNAL_KEYS = ("prop_times", REV)


def all_property_keys() -> list[str]:
    keys: list[str] = []
    for names in (*VERTEX_KEYS.values(), COMMON_KEYS, EDGE_KEYS, (REV,)):
        for name in names:
            if name not in keys:
                keys.append(name)
    return keys


# Run states, ranked: the state a run shows is the highest rank any event reached.
STATE_RANK = {"OTHER": 0, "START": 1, "RUNNING": 2, "COMPLETE": 3, "ABORT": 4, "FAIL": 5}

# How a property merges when two events disagree. Anything not listed is
# "latest": the value from the newest event time wins (ties: the larger value).
# "const" properties derive from identity and are written once.
MERGE: dict[str, str] = {
    **{key: "const" for key in (*IDENTITY.values(), "namespace", "name", "model_name")},
    "first_seen": "min",
    "started_at": "min",
    "last_seen": "max",
    "ended_at": "max",
    "last_updated_at": "max",
    "registered_at": "min",
    "created_at": "min",
    "state": "rank",
}
# Edges: the pipeline is part of an edge's identity; the rest follows MERGE.
EDGE_MERGE: dict[str, str] = {
    **{k: v for k, v in MERGE.items() if v != "const"},
    "pipeline_id": "const",
}


def _order(value: Any) -> tuple[int, str]:
    return (0, "") if value is None else (1, str(value))


def merge_props(current: dict[str, Any], current_times: dict[str, str],
                new: dict[str, Any], time: str,
                weak: frozenset[str] = frozenset(),
                rules: dict[str, str] = MERGE) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge ``new`` (asserted at event ``time``) into ``current``.

    Keys in ``weak`` are fallbacks (a layer guessed from a name): they are
    asserted as if at the beginning of time, so any explicit value wins.

    Returns the properties and per-property times that change. The result does
    not depend on the order in which assertions arrive: every rule is a maximum
    over a total order, so replaying, re-sending or shuffling events converges
    on the same values.
    """
    changed: dict[str, Any] = {}
    changed_times: dict[str, str] = {}
    for key, value in new.items():
        if value is None:
            continue
        rule = rules.get(key, "latest")
        old = current.get(key)
        if rule == "const":
            if old is None:
                changed[key] = value
        elif rule == "min":
            if old is None or value < old:
                changed[key] = value
        elif rule == "max":
            if old is None or value > old:
                changed[key] = value
        elif rule == "rank":
            if old is None or STATE_RANK.get(value, -1) > STATE_RANK.get(old, -1):
                changed[key] = value
        else:
            at = "" if key in weak else time
            old_time = current_times.get(key, "")
            if old is None or (at, _order(value)) > (old_time, _order(old)):
                if value != old:
                    changed[key] = value
                if at != old_time:
                    changed_times[key] = at
    return changed, changed_times
