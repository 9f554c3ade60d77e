"""A fresh clone tests itself: everything the suite reads is in the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

GIT = shutil.which("git")


@pytest.mark.skipif(not GIT or not (REPO / ".git").exists(),
                    reason="needs git and a git checkout of the repository (not an unpacked release)")
def test_a_clone_with_nothing_beside_it_collects_the_whole_suite(tmp_path):
    clone = tmp_path / "lineage"          # tmp_path holds nothing else: no ../shared, no corpus
    subprocess.run([GIT, "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINEAGE_", "PYTEST_"))}
    env["PYTHONPATH"] = str(clone)        # the clone's own package, not the one installed from here

    where = subprocess.run([sys.executable, "-c", "import lineage; print(lineage.__file__)"],
                           cwd=clone, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert Path(where.stdout.strip()).is_relative_to(clone)

    # the README's test command, collection only
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                            cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "error" not in result.stdout.splitlines()[-1], result.stdout[-3000:]
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert len(collected) > 100
    # tests parametrised by the corpus found its files inside the clone
    corpus = sorted(p.stem for p in (clone / "tests" / "data" / "corpus" / "marquez-conformance").glob("*.json"))
    assert corpus and all(any(name in test for test in collected) for name in corpus)
