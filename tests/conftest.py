"""Shared fixtures: every graph test runs on each backend.

The embedded leg always runs, on a SQLite file in ``tmp_path``, twice: through
the SQL implementation and through Gremlin on gremlite (the reference). The JanusGraph
leg runs when ``LINEAGE_TEST_GREMLIN_URL`` points at a Gremlin Server (it wipes
that graph before each test) and is skipped otherwise.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lineage import LineageStore, Settings

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
CORPUS = DATA / "corpus"  # real events by others; origin and licence in tests/data/README.md
GREMLIN_URL = os.environ.get("LINEAGE_TEST_GREMLIN_URL", "")

# embedded: SQL on the SQLite file (the default); gremlite: the same file read and
# written in portable Gremlin through gremlite, the reference every answer must match.
BACKENDS = [
    "embedded",
    "gremlite",
    pytest.param("janusgraph", marks=pytest.mark.skipif(
        not GREMLIN_URL,
        reason="JanusGraph leg: set LINEAGE_TEST_GREMLIN_URL=ws://127.0.0.1:8182/gremlin to run it")),
]


def make_settings(backend: str, tmp_path: Path, **overrides) -> Settings:
    if backend in ("embedded", "gremlite"):
        engine = "sql" if backend == "embedded" else "gremlin"
        return Settings.from_env({}, db=str(tmp_path / "lineage.db"), embedded_engine=engine, **overrides)
    return Settings.from_env({}, gremlin_url=GREMLIN_URL, **overrides)


@pytest.fixture(params=BACKENDS)
def backend_name(request) -> str:
    return request.param


@pytest.fixture
def settings(backend_name, tmp_path) -> Settings:
    return make_settings(backend_name, tmp_path)


@pytest.fixture
def store(settings):
    with LineageStore(settings) as s:
        if settings.gremlin_url:
            s.clear_graph(events=True)
        yield s


@pytest.fixture
def open_store(backend_name, tmp_path):
    """Opens further stores on the same backend (fresh graphs wipe the remote one)."""
    opened = []

    def _open(name: str = "lineage", wipe: bool = True) -> LineageStore:
        base = tmp_path / name
        base.mkdir(exist_ok=True)
        s = LineageStore(make_settings(backend_name, base))
        if wipe and s.settings.gremlin_url:
            s.clear_graph(events=True)
        opened.append(s)
        return s

    yield _open
    for s in opened:
        s.close()


def food_delivery() -> list[dict]:
    return json.loads((CORPUS / "food-delivery-events.json").read_text())


def conformance_files() -> list[Path]:
    return sorted((CORPUS / "marquez-conformance").glob("*.json"))
