"""Browser libraries served from this server, so the explorer and GraphiQL work
without internet access.

They come from the npm registry at install time (``npm ci`` reads the
``package.json`` and ``package-lock.json`` at the top of the checkout) and are
served from that ``node_modules`` (or ``LINEAGE_WEB_ASSETS``) under
``/vendor/<package>/<file>``. Only the packages in :data:`PACKAGES` are served.

GraphiQL is Strawberry's own page with its CDN addresses pointed at
``/vendor``; the pinned versions in ``package.json`` are the ones Strawberry's
page names, so its subresource-integrity hashes still hold.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from strawberry.fastapi import GraphQLRouter

from .._errors import NotFound
from .._settings import Settings

PACKAGES = ("elkjs", "graphiql", "@graphiql/plugin-explorer", "js-cookie", "react", "react-dom")
CHECKOUT_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
INSTALL_HINT = ("run `npm ci` in the lineage checkout (it installs the pinned browser libraries), "
                "or set LINEAGE_WEB_ASSETS to a node_modules folder that has them")
_CDN = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@[\w.-]+/")


def assets_dir(settings: Settings) -> Path:
    configured = settings["LINEAGE_WEB_ASSETS"]
    return Path(configured).expanduser() if configured else CHECKOUT_MODULES


def missing(settings: Settings) -> list[str]:
    """The packages the page needs that are not installed (empty when all are)."""
    root = assets_dir(settings)
    return [p for p in PACKAGES if not (root / p / "package.json").is_file()]


def local_html(html: str) -> str:
    """Point a page's unpkg addresses at this server's /vendor route."""
    return _CDN.sub(lambda m: f"/vendor/{m.group(1)}/", html)


def router(settings: Settings) -> APIRouter:
    api = APIRouter()
    root = assets_dir(settings).resolve()

    @api.get("/vendor/{path:path}", include_in_schema=False)
    async def vendor(path: str) -> FileResponse:
        package = next((p for p in PACKAGES if path.startswith(p + "/")), None)
        target = (root / path).resolve()
        if package is None or not target.is_relative_to(root / package) or not target.is_file():
            if package is not None and not (root / package).is_dir():
                raise NotFound(f"the browser library {package} is not installed; {INSTALL_HINT}", path=path)
            raise NotFound(f"no browser asset {path!r}; served packages: {', '.join(PACKAGES)}", path=path)
        return FileResponse(target, headers={"Cache-Control": "public, max-age=86400"})

    return api


class OfflineGraphQLRouter(GraphQLRouter):
    """Strawberry's GraphQL router whose GraphiQL page loads its scripts from /vendor."""

    @property
    def graphql_ide_html(self) -> str:
        return local_html(super().graphql_ide_html)
