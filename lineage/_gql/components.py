"""Components and their liveness; the audit of a run."""

from __future__ import annotations

import json
from typing import Any, Optional

import strawberry


@strawberry.type(description="Who wrote a run and from what: the server's record of the write and the "
                             "producer's audit headers.")
class Audit:
    request_id: Optional[str] = strawberry.field(description="The record's request id (the producer's "
                                                             "Request-Id, else the HTTP request's).")
    http_request_id: Optional[str] = strawberry.field(description="X-Request-Id of the HTTP request.")
    principal: Optional[str] = strawberry.field(description="Name of the token that wrote it.")
    client_address: Optional[str]
    received_at: Optional[str]
    exec_path: Optional[str] = strawberry.field(description="The component that wrote it.")
    input_request_ids: list[str] = strawberry.field(description="Request ids of the records it was made from.")
    data_source_name: Optional[str]
    data_source_type: Optional[str]

    @classmethod
    def of(cls, run: dict[str, Any]) -> Optional["Audit"]:
        keys = ("request_id", "http_request_id", "principal", "client_address", "received_at", "exec_path",
                "data_source_name", "data_source_type")
        if not any(run.get(k) for k in (*keys, "input_request_ids")):
            return None
        return cls(input_request_ids=json.loads(run.get("input_request_ids") or "[]"),
                   **{k: run.get(k) for k in keys})


@strawberry.type(description="One running (or finished) instance of a component.")
class ComponentInstance:
    instance_id: str
    run_id: str
    state: str = strawberry.field(description="live, late (no heartbeat for 2 periods) or gone.")
    status: Optional[str] = strawberry.field(description="Last status: STARTED, RUNNING, COMPLETED, TERMINATED.")
    last_seen: Optional[str]
    started_at: Optional[str]
    ended_at: Optional[str]
    reporting_period: int
    principal: Optional[str]


@strawberry.type(description="A component that reports heartbeats, with its liveness and its datasets.")
class Component:
    id: str
    pipeline_id: str
    name: Optional[str]
    component_type: str
    state: str = strawberry.field(description="live, late or gone: the best of its instances.")
    status: Optional[str]
    last_seen: Optional[str]
    reads: list[str] = strawberry.field(description="Datasets it reads.")
    writes: list[str] = strawberry.field(description="Datasets it writes.")
    instances: list[ComponentInstance]

    @classmethod
    def of(cls, c: dict[str, Any]) -> "Component":
        return cls(**{**c, "instances": [ComponentInstance(**i) for i in c["instances"]]})
