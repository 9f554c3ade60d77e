"""Audit context per HTTP request (plain ASGI middleware).

Takes the caller's ``X-Request-Id`` (or makes one) and returns it on the
response, names the principal from the bearer token (the token's name in
``LINEAGE_API_TOKENS``, never the secret), and collects the producer's audit
headers, so every event the request writes is stamped with them (see
:mod:`lineage.catalog.audit`).
"""

from __future__ import annotations

import re
from typing import Any

from .._settings import Settings
from ..catalog import audit
from ..catalog.messages import now_iso

_GOOD_ID = re.compile(r"^[\x21-\x7e]{1,200}$")


def principal(settings: Settings, authorization: str | None) -> str:
    names = settings.token_names
    if not names:
        return "anonymous"
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return "unauthenticated"
    return names.get(token.strip(), "unknown-token")


class AuditMiddleware:
    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        given = next((v.strip() for k, v in headers if k.lower() == "x-request-id"), "")
        request_id = given if _GOOD_ID.match(given) else audit.new_request_id()
        auth_header = next((v for k, v in headers if k.lower() == "authorization"), None)
        client = scope.get("client")
        ctx = audit.AuditContext(http_request_id=request_id, principal=principal(self.settings, auth_header),
                                 client_address=client[0] if client else None, received_at=now_iso(),
                                 producer=audit.producer_fields(headers))

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        with audit.delivering(ctx):
            await self.app(scope, receive, send_with_id)
