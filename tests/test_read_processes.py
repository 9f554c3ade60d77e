"""GraphQL queries answered by reader processes (LINEAGE_READ_PROCESSES): `lineage
serve` as a real process, its readers real child processes, spoken to over HTTP."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from conftest import food_delivery

LINEAGE = '{ lineageGraph(nodeId: "food_delivery/public.orders", nodeType: "Dataset", depth: 2) { nodeCount } }'


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The reader processes of server ``pid`` (multiprocessing's spawned children;
    the SQL parse workers run a script of their own)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f"\nPPid:\t{pid}\n" in (entry / "status").read_text() \
                    and b"spawn_main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return sorted(found)


@pytest.fixture
def served(tmp_path):
    port = _port()
    env = {**os.environ, "LINEAGE_DB": str(tmp_path / "lineage.db"), "LINEAGE_PORT": str(port),
           "LINEAGE_READ_PROCESSES": "2", "LINEAGE_LOG_LEVEL": "WARNING", "LINEAGE_QUERY_TIMEOUT": "15"}
    env.pop("LINEAGE_GREMLIN_URL", None)
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "lineage._cli", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    deadline = time.monotonic() + 60
    while True:
        try:
            if client.get("/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)
    try:
        yield client, proc
        text = (tmp_path / "server.log").read_text()
        assert "reader process:" not in text, text   # no query failed in a reader
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def gql(client: httpx.Client, query: str, **variables) -> dict:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def test_queries_are_answered_by_reader_processes_that_see_each_commit(served):
    client, proc = served
    readers = _children(proc.pid)
    assert len(readers) == 2, "two reader processes beside the serving one"
    gql(client, LINEAGE), gql(client, LINEAGE)   # both readers have started
    cpu_before = {pid: _cpu(pid) for pid in readers}

    assert gql(client, LINEAGE) == {"data": {"lineageGraph": None}} or "errors" in gql(client, LINEAGE)
    assert client.post("/api/v1/lineage/batch", json=food_delivery()).json()["status"] == "success"
    # acknowledged means committed: the very next query, in another process, sees it
    assert gql(client, LINEAGE)["data"]["lineageGraph"]["nodeCount"] > 1
    for _ in range(20):
        gql(client, LINEAGE)
    assert sum(_cpu(pid) - cpu_before[pid] for pid in readers) > 0, "the readers did the work"

    # a mutation is answered by the serving process (the one writer), then read back by a reader
    run = gql(client, 'mutation { recordPipelineExecution(pipelineId: "p1", pipelineVersion: "1", '
                      'inputDatasets: ["warehouse/a"], outputDatasets: ["warehouse/b"]) }')
    run_id = run["data"]["recordPipelineExecution"]["runId"]
    assert gql(client, "query($id: String!) { run(runId: $id) { runId } }", id=run_id)["data"]["run"] == \
        {"runId": run_id}

    # typed errors, validation errors and the cost budget come back as in-process
    missing = gql(client, "query($id: String!) { run(runId: $id) { runId } }", id=str(uuid.uuid4()))
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "Cannot query field" in gql(client, "{ nope }")["errors"][0]["message"]
    costly = gql(client, "{ " + " ".join(f"a{i}: orphanedDatasets" for i in range(1000)) + " }")
    assert costly["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"

    # the readers' timings reach the serving process's /metrics
    metrics = client.get("/metrics").text
    count = re.search(r'lineage_graphql_resolver_seconds_count\{field="lineageGraph"\} (\d+)', metrics)
    assert count and int(count.group(1)) >= 23
    graph = re.search(r'janusgraph_queries_total\{backend="embedded",operation="lineage_graph"\} (\d+)', metrics)
    assert graph and int(graph.group(1)) >= 23
    # and where a pooled query's time went: waiting for a reader, the round trip, executing in it
    # (until a reader has started, its share is answered in-process: on a busy machine, seconds)
    deadline = time.monotonic() + 60
    while True:
        gql(client, LINEAGE)
        metrics = client.get("/metrics").text
        seen = {name: float(re.search(rf"lineage_read_pool_{name}_seconds_count (\S+)", metrics).group(1))
                for name in ("wait", "round_trip", "execute")}
        if seen["round_trip"] >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert seen["wait"] == seen["round_trip"] == seen["execute"] >= 4, seen
    trip = float(re.search(r"lineage_read_pool_round_trip_seconds_sum (\S+)", metrics).group(1))
    executing = float(re.search(r"lineage_read_pool_execute_seconds_sum (\S+)", metrics).group(1))
    assert 0 < executing <= trip


def test_a_reader_that_dies_is_replaced_and_the_query_still_answered(served):
    client, proc = served
    client.post("/api/v1/lineage/batch", json=food_delivery())
    first = _children(proc.pid)
    os.kill(first[0], signal.SIGKILL)
    for _ in range(6):   # every reader gets a turn, the dead one too
        assert gql(client, LINEAGE)["data"]["lineageGraph"]["nodeCount"] > 1
    now = _children(proc.pid)
    assert len(now) == 2 and first[0] not in now


def test_the_flag_the_serving_process_sets_when_a_client_leaves_stops_the_readers_statement(tmp_path):
    """What the serving process does when the client of a query in a reader disconnects:
    it sets the reader's shared flag, and the statement running there is interrupted."""
    import multiprocessing
    import sqlite3
    import threading

    from conftest import make_settings
    from lineage._server.readers import Readers
    from lineage._server.readpool import _SharedBudget
    from lineage.limits import deadline

    flag = multiprocessing.get_context("spawn").Value("b", 0, lock=False)
    readers = Readers(make_settings("embedded", tmp_path))
    con = readers.event_log().con
    budget = _SharedBudget(60, flag)
    threading.Timer(0.3, lambda: setattr(flag, "value", 1)).start()
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    with deadline.bound(budget), pytest.raises(sqlite3.OperationalError, match="interrupted"):
        con.execute(endless).fetchone()
    assert "disconnected" in budget.error().message
    readers.close()


def _cpu(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
