"""Data-quality checks of an artifact (dbt tests, assertion jobs) and their results."""

from __future__ import annotations

from typing import Any, Optional

import strawberry
from strawberry.scalars import JSON


@strawberry.type(description="One assertion a check run made, e.g. not_null on a column.")
class CheckAssertion:
    assertion: str
    success: bool
    column: Optional[str]
    severity: Optional[str] = strawberry.field(
        description="How the producer weighs a failure, as it says it (dbt: error or warn); null when it does not.")


@strawberry.type(description="The result of one run of a check.")
class CheckResult:
    run_id: str
    result: Optional[str] = strawberry.field(
        description="PASS, WARN (only assertions of severity warn failed), FAIL or ABORT; null while the run is in progress.")
    state: Optional[str]
    time: Optional[str] = strawberry.field(description="When the run ended (else started).")
    error_message: Optional[str]
    assertions: list[CheckAssertion]

    @classmethod
    def of(cls, r: dict[str, Any]) -> "CheckResult":
        return cls(run_id=r["run_id"], result=r.get("result"), state=r.get("state"), time=r.get("time"),
                   error_message=r.get("error_message"),
                   assertions=[CheckAssertion(assertion=a["assertion"], success=a["success"], column=a.get("column"),
                                          severity=a.get("severity"))
                               for a in r["assertions"]])


@strawberry.type(description="A data-quality check (a dbt test, an assertion job) on an artifact, with its results.")
class Check:
    id: str = strawberry.field(description="The check's job: namespace/name.")
    name: str
    check_type: Optional[str] = strawberry.field(description="The integration that ran it, e.g. dbt.")
    failures_tables: list[str] = strawberry.field(description="Where the check stored failing rows, if it did.")
    latest: Optional[CheckResult] = strawberry.field(description="The newest run's result.")
    results: list[CheckResult] = strawberry.field(description="The newest results, newest first.")
    properties: JSON

    @classmethod
    def of(cls, c: dict[str, Any]) -> "Check":
        import json
        tables = json.loads(c["failures_tables"]) if c.get("failures_tables") else []
        return cls(id=c["id"], name=c.get("name") or c["id"], check_type=c.get("check_type"), failures_tables=tables,
                   latest=CheckResult.of(c["latest"]) if c.get("latest") else None,
                   results=[CheckResult.of(r) for r in c["results"]],
                   properties={k: v for k, v in c.items() if k not in ("latest", "results")})


@strawberry.type(description="The checks of an artifact and its status: FAIL when a check's latest run failed, "
                             "else WARN when every latest run passed or warned and one warned, PASS when every "
                             "check's latest run passed, else null.")
class ArtifactChecks:
    id: str
    label: str
    status: Optional[str]
    checks: list[Check]

    @classmethod
    def of(cls, answer: dict[str, Any]) -> "ArtifactChecks":
        return cls(id=answer["id"], label=answer["label"], status=answer["status"],
                   checks=[Check.of(c) for c in answer["checks"]])
