"""Which events report data-quality checks, and the assertions they made (facets read
by the translator, :mod:`lineage._translate`)."""

from __future__ import annotations

import re
from typing import Any, Iterable

from ._events import DatasetRef, Event


def facet_value(facets: Any, name: str, key: str) -> Any:
    """``facets[name][key]``, or None when the facet is absent, malformed or deleted."""
    facet = facets.get(name)
    if not isinstance(facet, dict) or facet.get("_deleted"):
        return None
    return facet.get(key)


def facet_text(value: Any) -> str | None:
    """A scalar facet value as non-empty text, else None."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value) or None


# dbt names its test nodes ``test.<project>.<test>`` and dbt-ol's jobs ``….test`` or
# ``….build.test``; failures are stored in ``<schema>_dbt_test__audit``.
_DBT_TEST_NAME = re.compile(r"(^|\.)test(\.|$)")
_DBT_AUDIT = re.compile(r"(^|\.)[^.]*dbt_test__audit\.")


def is_check(event: Event) -> bool:
    """Whether a run or job event reports a data-quality check, not a transformation:
    the ``jobType`` facet says TEST; or an input carries ``dataQualityAssertions`` and
    the job writes nothing but audit tables (a job that also writes data, like
    OpenLineage's full example, stays lineage); or, facets missing, dbt's naming says so."""
    kind = facet_text(facet_value(event.job_facets, "jobType", "jobType"))
    if kind is not None and kind.upper() in ("TEST", "CHECK", "ASSERTION"):
        return True
    audit = bool(event.outputs) and all(_DBT_AUDIT.search(ref.name) for ref in event.outputs)
    writes = bool(event.outputs) and not audit
    if not writes and any(isinstance(_assertions_facet(ref), dict) for ref in event.inputs):
        return True
    if kind is not None:
        return False
    return audit or (_is_dbt(event) and bool(_DBT_TEST_NAME.search(event.job_name or "")))


def _is_dbt(event: Event) -> bool:
    return "dbt_version" in event.run_facets or "/integration/dbt" in (event.producer or "")


def is_check_statement(event: Event) -> bool:
    """Whether a run event is one SQL statement of a check: dbt-ol (reading dbt's
    structured logs) reports each statement a test runs as a child job
    (``test.<project>.<test>.sql.1``) whose ``parent`` facet names the test's job.
    Such a statement is part of the check, not a job of its own."""
    if not _is_dbt(event):
        return False
    parent = event.run_facets.get("parent")
    job = parent.get("job") if isinstance(parent, dict) else None
    name = facet_text(job.get("name")) if isinstance(job, dict) else None
    return bool(name and _DBT_TEST_NAME.search(name)) and (event.job_name or "").startswith(name + ".")


def _assertions_facet(ref: DatasetRef) -> Any:
    """The ``dataQualityAssertions`` facet of an input: an input facet by the spec, but
    dbt-ol's structured-log mode sends it among the dataset's own facets."""
    facet = ref.io_facets.get("dataQualityAssertions")
    return facet if isinstance(facet, dict) else ref.facets.get("dataQualityAssertions")


def assertions_of(refs: Iterable[DatasetRef]) -> list[dict[str, Any]]:
    """The assertions of the ``dataQualityAssertions`` facets of the inputs: name, success,
    and column, severity and description where given."""
    out = []
    for ref in refs:
        facet = _assertions_facet(ref)
        items = facet.get("assertions") if isinstance(facet, dict) else None
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and facet_text(item.get("assertion")):
                entry = {"assertion": facet_text(item.get("assertion")), "success": item.get("success") is True}
                for key in ("column", "severity", "description"):
                    if facet_text(item.get(key)):
                        entry[key] = facet_text(item.get(key))
                out.append(entry)
    return out
