"""The demo lakehouse on each backend, and the environment that points the
``lineage`` command at it."""

from __future__ import annotations

import pytest

from lineage._demo import demo_events


@pytest.fixture
def demo_cli(store, monkeypatch):
    """The demo graph in ``store``; ``lineage`` commands run in this test read it."""
    store.ingest(demo_events(store.settings.default_namespace))
    return cli_reads(store, monkeypatch)


def cli_reads(store, monkeypatch):
    """Point ``lineage`` commands run in this test at ``store`` (and nothing else)."""
    for name in ("LINEAGE_DB", "LINEAGE_GREMLIN_URL", "LINEAGE_DEFAULT_NAMESPACE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    if store.settings.gremlin_url:
        monkeypatch.setenv("LINEAGE_GREMLIN_URL", store.settings.gremlin_url)
    else:
        monkeypatch.setenv("LINEAGE_DB", store.settings.db_path)
    return store
