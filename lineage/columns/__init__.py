"""Column lineage: which fields a field was computed from, and what a change to a field reaches.

* :mod:`.facet` reads OpenLineage's ``columnLineage`` facet;
* :mod:`.translate` turns it (or a job's SQL, through openlineage-sql) into
  ``Field`` vertices and ``FIELD_DERIVED_FROM`` edges for the one translator;
* :mod:`.queries` (:class:`ColumnLineage`) walks them: upstream and downstream
  of a field with depth, and the impact of changing or masking it;
* :mod:`.cli` is ``lineage columns``.
"""

from __future__ import annotations

from .ids import field_id, split_field_id

__all__ = ["ColumnLineage", "field_id", "split_field_id"]


def __getattr__(name: str):
    if name == "ColumnLineage":   # the query layer imports the translator's neighbours: load it when asked
        from .queries import ColumnLineage
        return ColumnLineage
    raise AttributeError(f"module 'lineage.columns' has no attribute {name!r}")
