"""Debian's Chromium driven by Playwright (no browser download), shared by the page tests."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = os.environ.get("LINEAGE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason="browser tests need Debian's chromium: apt-get install chromium "
                                           "(or LINEAGE_TEST_CHROMIUM=/path/to/chromium)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def assets_installed() -> None:
    """Fail with the fix when `npm ci` has not installed the page's browser libraries."""
    from lineage._server.assets import CHECKOUT_MODULES, INSTALL_HINT, PACKAGES
    absent = [p for p in PACKAGES if not (CHECKOUT_MODULES / p / "package.json").is_file()]
    assert not absent, f"browser libraries {absent} are missing: {INSTALL_HINT}"


@contextmanager
def watched_page(browser: Any, tmp_path: Path, **options: Any) -> Iterator[Any]:
    """A page in a fresh context (1400x900 unless ``options`` say otherwise) that fails
    the test on any script error; ``page.shots`` is a folder for its screenshots."""
    context = browser.new_context(**{"viewport": {"width": 1400, "height": 900}, **options})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.shots = tmp_path / "screenshots"
    pg.shots.mkdir(exist_ok=True)
    yield pg
    context.close()
    assert errors == [], errors


@pytest.fixture
def page(browser, tmp_path):
    with watched_page(browser, tmp_path) as pg:
        yield pg
