"""``lineage doctor``: is the configured backend healthy, and if not, how to fix it.

Checks, each printed as one line with a fix when it fails:

* the embedded file opens (and holds how many events), or the Gremlin Server
  answers a traversal;
* on JanusGraph, the schema's unique indexes exist and are ENABLED;
* when ``LINEAGE_CASSANDRA_HOSTS`` is set: every node of the ring is up, the
  keyspace exists with the expected replication factor, and JanusGraph's read
  and write consistency is the expected level.

``--wait N`` retries reachability for up to N seconds (the Helm chart's init
container), and ``--create-keyspace`` creates the keyspace with
NetworkTopologyStrategy for operators who make it before JanusGraph does.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, TextIO

from . import _model as m
from ._settings import Settings

EXPECTED_INDEXES = [f"by_{key}_unique" for key in (*m.IDENTITY.values(), "event_fp")]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _gremlin_client(settings: Settings) -> Any:
    from gremlin_python.driver.client import Client
    from janusgraph_python.driver.serializer import JanusGraphSONSerializersV3d0

    return Client(settings.gremlin_url, settings["LINEAGE_GREMLIN_TRAVERSAL_SOURCE"],
                  message_serializer=JanusGraphSONSerializersV3d0())


def check_graph(settings: Settings) -> list[Check]:
    if not settings.gremlin_url:
        from ._store import LineageStore

        try:
            with LineageStore(settings) as store:
                events = store.event_count()
                store.graph.has_vertices()
        except Exception as exc:
            return [Check("embedded graph", False, f"{settings.db_path}: {exc}",
                          "point LINEAGE_DB at a writable lineage file, or remove a file that is not one")]
        return [Check("embedded graph", True, f"{settings.db_path} opens; {events} events logged")]
    checks = []
    client = _gremlin_client(settings)
    try:
        try:
            client.submit("g.V().limit(1).count()").all().result(timeout=15)
        except Exception as exc:
            return [Check("gremlin server", False, f"{settings.gremlin_url} did not answer: {exc}",
                          "check the JanusGraph pods and Service, and that the URL ends with /gremlin")]
        checks.append(Check("gremlin server", True, f"{settings.gremlin_url} answers"))
        script = ("def mgmt = graph.openManagement(); try { mgmt.getGraphIndexes(org.apache.tinkerpop.gremlin."
                  "structure.Vertex.class).collect { it.name() + '=' + it.getIndexStatus(it.getFieldKeys()[0]) } }"
                  " finally { mgmt.rollback() }")
        try:
            found = dict(item.split("=", 1) for item in client.submit(script).all().result(timeout=30))
        except Exception as exc:
            checks.append(Check("schema", False, f"the index list could not be read ({exc})",
                                "doctor needs a JanusGraph server with `graph` bound and scripts enabled"))
            return checks
        missing = [name for name in EXPECTED_INDEXES if name not in found]
        disabled = [name for name in EXPECTED_INDEXES if name in found and found[name] != "ENABLED"]
        if missing or disabled:
            checks.append(Check("schema", False,
                                f"missing indexes {missing}; not ENABLED {disabled}" if disabled else
                                f"missing indexes {missing}",
                                "run scripts/janusgraph-schema.groovy on the server (the chart mounts it in "
                                "/docker-entrypoint-initdb.d)"))
        else:
            checks.append(Check("schema", True, f"{len(EXPECTED_INDEXES)} unique indexes ENABLED"))
        return checks
    finally:
        client.close()


def _jg_consistency(settings: Settings) -> tuple[str | None, str | None]:
    if not settings.gremlin_url:
        return None, None
    client = _gremlin_client(settings)
    try:
        script = ("def mgmt = graph.openManagement(); try { ['storage.cql.read-consistency-level', "
                  "'storage.cql.write-consistency-level'].collect { mgmt.get(it) } } finally { mgmt.rollback() }")
        read, write = client.submit(script).all().result(timeout=30)
        return str(read), str(write)
    except Exception:
        return None, None
    finally:
        client.close()


def cassandra_session(settings: Settings, timeout: float = 10.0) -> Any:
    from cassandra.cluster import Cluster

    hosts = [h.strip() for h in settings["LINEAGE_CASSANDRA_HOSTS"].split(",") if h.strip()]
    cluster = Cluster(hosts, port=settings["LINEAGE_CASSANDRA_PORT"], connect_timeout=timeout,
                      control_connection_timeout=timeout)
    return cluster, cluster.connect()


def check_cassandra(settings: Settings) -> list[Check]:
    hosts = settings["LINEAGE_CASSANDRA_HOSTS"]
    if not hosts:
        return []
    where = f"{hosts} (port {settings['LINEAGE_CASSANDRA_PORT']})"
    try:
        cluster, session = cassandra_session(settings)
    except Exception as exc:
        return [Check("cassandra", False, f"cannot reach Cassandra at {where}: {exc}",
                      "check LINEAGE_CASSANDRA_HOSTS, that the Cassandra pods are Running "
                      f"(kubectl get pods -l app.kubernetes.io/component=cassandra) and that port {settings['LINEAGE_CASSANDRA_PORT']} is open")]
    checks = []
    try:
        nodes = list(cluster.metadata.all_hosts())
        down = [str(h.address) for h in nodes if not h.is_up]
        checks.append(Check("cassandra ring", not down, f"{len(nodes) - len(down)} of {len(nodes)} nodes up"
                            + (f"; down: {', '.join(down)}" if down else ""),
                            "" if not down else "restart or replace the down nodes; QUORUM needs a majority of "
                            "each token range's replicas"))
        keyspace = settings["LINEAGE_CASSANDRA_KEYSPACE"]
        expected = settings["LINEAGE_CASSANDRA_REPLICATION"]
        meta = cluster.metadata.keyspaces.get(keyspace)
        if meta is None:
            checks.append(Check("keyspace", False, f"keyspace {keyspace!r} does not exist",
                                "let JanusGraph create it on first start, or run `lineage doctor --create-keyspace`"))
        else:
            strategy = meta.replication_strategy
            factors = getattr(strategy, "dc_replication_factors", None) or {}
            rf = (max(int(v) for v in factors.values()) if factors
                  else int(getattr(strategy, "replication_factor", 0) or 0))
            checks.append(Check("replication", rf == expected,
                                f"keyspace {keyspace!r}: {type(strategy).__name__}, replication factor {rf}",
                                "" if rf == expected else
                                f"ALTER KEYSPACE {keyspace} WITH replication = {{'class': 'NetworkTopologyStrategy', "
                                f"'{settings['LINEAGE_CASSANDRA_DATACENTER']}': {expected}}}; then nodetool repair -full"))
        want = settings["LINEAGE_CASSANDRA_CONSISTENCY"].upper()
        read, write = _jg_consistency(settings)
        if read is None:
            checks.append(Check("consistency", False, "JanusGraph's consistency levels could not be read",
                                f"set janusgraph.storage.cql.read-consistency-level and write-consistency-level to {want}"))
        else:
            ok = read.upper() == want and write.upper() == want
            checks.append(Check("consistency", ok, f"JanusGraph reads at {read}, writes at {write}",
                                "" if ok else f"set janusgraph.storage.cql.read-consistency-level and "
                                              f"write-consistency-level to {want}"))
    finally:
        cluster.shutdown()
    return checks


def create_keyspace(settings: Settings, out: TextIO) -> bool:
    keyspace = settings["LINEAGE_CASSANDRA_KEYSPACE"]
    dc, rf = settings["LINEAGE_CASSANDRA_DATACENTER"], settings["LINEAGE_CASSANDRA_REPLICATION"]
    try:
        cluster, session = cassandra_session(settings)
    except Exception as exc:
        print(f"✗ create keyspace: cannot reach Cassandra at {settings['LINEAGE_CASSANDRA_HOSTS']}: {exc}", file=out)
        return False
    try:
        session.execute(f"CREATE KEYSPACE IF NOT EXISTS \"{keyspace}\" WITH replication = "
                        f"{{'class': 'NetworkTopologyStrategy', '{dc}': {rf}}} AND durable_writes = true")
        print(f"✓ keyspace {keyspace!r} exists (NetworkTopologyStrategy, {dc}: {rf})", file=out)
        return True
    finally:
        cluster.shutdown()


def wait(settings: Settings, seconds: float, out: TextIO, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Until Cassandra (when configured), the graph and its schema answer, or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        pending = []
        if settings["LINEAGE_CASSANDRA_HOSTS"]:
            reach = check_cassandra_reachable(settings)
            if reach:
                pending.append(f"waiting for Cassandra at {settings['LINEAGE_CASSANDRA_HOSTS']}: {reach}")
        if not pending:
            # on JanusGraph the schema script runs after the server starts: wait for it too,
            # or the first writes would meet undeclared keys
            for check in check_graph(settings):
                if not check.ok:
                    what = {"schema": "the JanusGraph schema (the JanusGraph pod runs it at start)",
                            "gremlin server": "JanusGraph"}.get(check.name, "the embedded graph")
                    pending.append(f"waiting for {what}: {check.detail}")
                    break
        if not pending:
            print("backends are reachable", file=out, flush=True)
            return True
        for line in pending:
            print(line, file=out, flush=True)
        if time.monotonic() >= deadline:
            print(f"gave up after {seconds:.0f}s", file=out, flush=True)
            return False
        sleep(min(5.0, max(0.1, deadline - time.monotonic())))


def check_cassandra_reachable(settings: Settings) -> str | None:
    try:
        cluster, _session = cassandra_session(settings, timeout=5.0)
        cluster.shutdown()
        return None
    except Exception as exc:
        return str(exc)


def run(settings: Settings, out: TextIO = sys.stdout) -> int:
    checks = check_graph(settings) + check_cassandra(settings)
    for c in checks:
        print(f"{'✓' if c.ok else '✗'} {c.name}: {c.detail}" + (f"\n    fix: {c.fix}" if c.fix else ""), file=out)
    return 0 if all(c.ok for c in checks) else 1
