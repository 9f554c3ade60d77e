"""Reading OpenLineage's ``columnLineage`` dataset facet.

The facet sits on an output and maps each of its fields to the input fields it
is computed from::

    "columnLineage": {
      "fields": {"email": {"inputFields": [
          {"namespace": "warehouse", "name": "silver.customers", "field": "email",
           "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION",
                                "description": "sha2(email)", "masking": true}]}]}},
      "dataset": [{"namespace": "warehouse", "name": "silver.customers", "field": "country",
                   "transformations": [{"type": "INDIRECT", "subtype": "FILTER"}]}]}

* ``transformations`` (spec 1-2-0): ``type`` DIRECT (the value flows: IDENTITY,
  TRANSFORMATION, AGGREGATION) or INDIRECT (it decides which rows or how they
  are grouped: JOIN, GROUP_BY, FILTER, SORT, WINDOW, CONDITIONAL), a
  ``description`` and ``masking``;
* the older per-field ``transformationType`` (IDENTITY, or MASKED: no original
  data remains) and ``transformationDescription`` stand for a transformation
  of each input field that lists none;
* ``dataset`` lists fields the whole output depends on: each becomes an
  input of every field of the output (those the facet names and those of its
  ``schema`` facet).

The facet is read leniently: an entry without a namespace, name and field is
skipped, so a producer's one bad entry does not cost the rest of the event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

DIRECT, INDIRECT = "DIRECT", "INDIRECT"


@dataclass(frozen=True, order=True)
class Transformation:
    type: str | None = None
    subtype: str | None = None
    description: str | None = None
    masking: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "subtype": self.subtype, "description": self.description,
                "masking": self.masking}


@dataclass(frozen=True)
class Derivation:
    """Output field ``field`` is computed from ``source_field`` of dataset (``namespace``, ``name``)."""

    field: str
    namespace: str
    name: str
    source_field: str
    transformations: tuple[Transformation, ...] = ()


def _text(value: Any, upper: bool = False) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().upper() if upper else value


def _transformations(entry: Mapping[str, Any], legacy: tuple[Transformation, ...]) -> tuple[Transformation, ...]:
    listed = entry.get("transformations")
    found = []
    for item in listed if isinstance(listed, list) else ():
        if isinstance(item, dict):
            found.append(Transformation(_text(item.get("type"), True), _text(item.get("subtype"), True),
                                        _text(item.get("description")), item.get("masking") is True))
    return tuple(sorted(set(found), key=repr)) if found else legacy


def _legacy(spec: Mapping[str, Any]) -> tuple[Transformation, ...]:
    kind = _text(spec.get("transformationType"), True)
    description = _text(spec.get("transformationDescription"))
    if kind is None and description is None:
        return ()
    if kind == "MASKED":
        return (Transformation(DIRECT, "TRANSFORMATION", description, True),)
    return (Transformation(DIRECT, kind, description, False),)


def _inputs(entries: Any, legacy: tuple[Transformation, ...]) -> Iterable[tuple[str, str, str, tuple[Transformation, ...]]]:
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        namespace, name, field = (entry.get(k) for k in ("namespace", "name", "field"))
        if all(isinstance(v, str) and v for v in (namespace, name, field)):
            yield namespace, name, field, _transformations(entry, legacy)


def derivations(facets: Mapping[str, Any], limit: int | None = None) -> list[Derivation] | None:
    """The derivations an output's facets declare; None when it has no ``columnLineage`` facet.
    With ``limit``, at most that many (in the facet's order, then the dataset-level ones): a
    small facet of dataset-level dependencies over a wide schema is a large cross product."""
    facet = facets.get("columnLineage")
    if not isinstance(facet, dict) or facet.get("_deleted"):
        return None
    fields = facet.get("fields") if isinstance(facet.get("fields"), dict) else {}
    out: list[Derivation] = []
    for field, spec in fields.items():
        if not isinstance(field, str) or not field or not isinstance(spec, dict):
            continue
        for namespace, name, source, steps in _inputs(spec.get("inputFields"), _legacy(spec)):
            out.append(Derivation(field, namespace, name, source, steps))
    whole = list(_inputs(facet.get("dataset"), ()))
    if whole:
        schema = facets.get("schema")
        listed = schema.get("fields") if isinstance(schema, dict) else None
        targets = dict.fromkeys(f for f in fields if isinstance(f, str) and f)
        for item in listed if isinstance(listed, list) else ():
            if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
                targets.setdefault(item["name"])
        for field in targets:
            for namespace, name, source, steps in whole:
                if limit is not None and len(out) >= limit:
                    return out
                out.append(Derivation(field, namespace, name, source, steps or (Transformation(INDIRECT),)))
    return out if limit is None else out[:limit]


def summary(steps: Iterable[Transformation]) -> dict[str, Any]:
    """The edge properties of a set of transformations: the strongest type (DIRECT over
    INDIRECT), its subtypes, the descriptions, whether any masks, and the full list (JSON)."""
    steps = sorted(set(steps), key=repr)
    types = {s.type for s in steps if s.type}
    kind = DIRECT if DIRECT in types else INDIRECT if INDIRECT in types else min(types, default=None)
    subtypes = sorted({s.subtype for s in steps if s.subtype and s.type == kind})
    descriptions = sorted({s.description for s in steps if s.description})
    return {
        "transformation_type": kind,
        "transformation_subtype": ",".join(subtypes) or None,
        "transformation_description": "; ".join(descriptions) or None,
        "masking": any(s.masking for s in steps),
        "transformations": json.dumps([s.to_dict() for s in steps], sort_keys=True, separators=(",", ":"))
        if steps else None,
    }
