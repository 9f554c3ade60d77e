"""``GET /api/v1/export/{dot|json|timeline|report}``: the visual exports, for the page to link to.

Query parameters: ``node``, ``depth``, ``direction`` (dot, json), ``hours``
(timeline), ``format=markdown|html`` (report), ``download=true`` to save
rather than view. DOT and JSON always download.
"""

from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .._errors import InvalidArgument
from ..query.cli import KINDS, export
from . import auth

MEDIA = {"dot": ("text/vnd.graphviz; charset=utf-8", "lineage.dot"),
         "json": ("application/json", "lineage.json"),
         "timeline": ("text/html; charset=utf-8", "timeline.html"),
         "markdown": ("text/markdown; charset=utf-8", "lineage-report.md"),
         "html": ("text/html; charset=utf-8", "lineage-report.html")}


def router(state: Any) -> APIRouter:
    api = APIRouter()

    @api.get("/api/v1/export/{kind}")
    async def export_route(request: Request, kind: str, node: Optional[str] = None, depth: int = 3,
                           direction: str = "both", hours: Optional[float] = None, format: str = "markdown",
                           download: bool = False) -> Response:
        auth.check(state.settings, request.headers.get("authorization"), write=False)
        if kind not in KINDS:
            raise InvalidArgument(f"unknown export {kind!r}; use one of {', '.join(KINDS)}", field="kind")
        if format not in ("markdown", "html"):
            raise InvalidArgument(f"format must be markdown or html; got {format!r}", field="format")
        text = await state.read(lambda q: export(state.settings, q, kind, node, depth, direction, hours, format))
        media, filename = MEDIA[format if kind == "report" else kind]
        disposition = "attachment" if download or kind in ("dot", "json") else "inline"
        return Response(text, media_type=media, headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})

    return api
