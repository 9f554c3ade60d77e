"""The guide's metrics from a real server, and the rules and dashboard that read them."""

import json
import re
import shutil
import socket
import subprocess

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from conftest import REPO, food_delivery
from lineage import Settings
from lineage import _model as m
from server_fixtures import gql, serve

RULES = REPO / "deploy" / "prometheus" / "lineage-rules.yml"
RULE_TESTS = REPO / "deploy" / "prometheus" / "lineage-rules.test.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "lineage-dashboard.json"
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "inf", "nan"}


def scrape(client) -> dict[str, list]:
    """Samples by name, from the server's /metrics."""
    response = client.get("/metrics")
    assert response.status_code == 200
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # nothing listens once the socket is closed


def total(samples, name, **labels) -> float:
    return sum(s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items()))


@pytest.fixture
def server(settings, store):
    store.ingest(food_delivery())
    with serve(settings) as client:
        yield client


def test_graph_queries_are_counted_and_timed_by_operation_and_backend(server, backend_name):
    backend = "janusgraph" if backend_name == "janusgraph" else "embedded"   # either engine on the file
    answer = gql(server, '{ datasetLineage(datasetId: "food_delivery/public.delivery_7_days", depth: 3) '
                         '{ upstreamDatasets { name } } }')
    assert answer.get("errors") is None, answer
    assert server.get("/readyz").status_code == 200
    answer = gql(server, '{ impactAnalysis(datasetId: "nope/missing", changeType: "schema") { totalAffected } }')
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"   # a query with no answer is still a query
    samples = scrape(server)
    operations = {s.labels["operation"] for s in samples["janusgraph_queries_total"]}
    assert {s.labels["backend"] for s in samples["janusgraph_queries_total"]} == {backend}
    assert total(samples, "janusgraph_queries_total", operation="impact") == 1
    assert total(samples, "janusgraph_query_duration_ms_count", operation="impact") == 1
    assert operations >= {"impact"} and len(operations) >= 2
    buckets = [s for s in samples["janusgraph_query_duration_ms_bucket"] if s.labels["le"] == "+Inf"]
    assert sum(b.value for b in buckets) == total(samples, "janusgraph_queries_total")
    # each read round trip to the store is timed too, in milliseconds
    assert total(samples, "lineage_backend_read_latency_ms_count", backend=backend) >= 3
    assert total(samples, "lineage_backend_read_latency_ms_sum") > 0
    assert "janusgraph_connection_errors_total" not in samples


def test_an_unreachable_gremlin_server_counts_connection_errors(tmp_path):
    settings = Settings.from_env({}, gremlin_url=f"ws://127.0.0.1:{closed_port()}/gremlin")
    with serve(settings) as client:
        answer = gql(client, '{ datasetLineage(datasetId: "gold/customers") { upstreamDatasets { name } } }')
        assert answer["errors"]
        assert client.get("/readyz").status_code == 503
        posted = client.post("/api/v1/lineage", json=food_delivery()[0])
        assert posted.status_code == 503 and posted.json()["error"] == "backend"
        samples = scrape(client)
    errors = {s.labels["operation"]: s.value for s in samples["janusgraph_connection_errors_total"]}
    assert errors["readyz"] == 1 and errors["write"] == 1
    assert errors["resolve"] == 1      # datasetLineage failed at its first query
    assert {s.labels["backend"] for s in samples["janusgraph_connection_errors_total"]} == {"janusgraph"}


def test_cassandra_nodes_are_reported_down_when_the_ring_cannot_be_reached(tmp_path):
    settings = Settings.from_env({}, db=str(tmp_path / "lineage.db"), cassandra_hosts="127.0.0.1",
                                 cassandra_port=closed_port())
    with serve(settings) as client:
        samples = scrape(client)
    assert [(s.labels, s.value) for s in samples["lineage_cassandra_node_up"]] == [({"address": "127.0.0.1"}, 0.0)]


def test_no_cassandra_gauge_without_cassandra_hosts(server):
    assert "lineage_cassandra_node_up" not in scrape(server)


# -- the rules and the dashboard name only what we export --------------------------------

def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names (in braces or grouping clauses) or durations."""
    expr = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)                     # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)                                # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)                               # ranges
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        word = match.group()
        if word.lower() in PROMQL_WORDS or expr[match.end():].lstrip().startswith("("):
            continue
        names.add(word)
    return names


def exported_names(tmp_path) -> set[str]:
    """Every sample name a real server exports once it has served queries and ingested
    events, with Cassandra hosts configured (the chart always sets them)."""
    settings = Settings.from_env({}, db=str(tmp_path / "lineage.db"), cassandra_hosts="127.0.0.1",
                                 cassandra_port=closed_port())
    with serve(settings) as client:
        for event in food_delivery()[:6]:
            assert client.post("/api/v1/lineage", json=event).status_code == 201
        client.post("/api/v1/lineage", json={"eventTime": "x"})
        assert gql(client, '{ search(prefix: "food") { id } }').get("errors") is None
        samples = scrape(client)
    names = set(samples)
    # counters created on first failure exist before they are incremented in production
    names |= {"janusgraph_connection_errors_total", "lineage_backend_errors_total"}
    return names


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def test_rules_and_dashboard_name_only_metrics_we_export(tmp_path):
    exported = exported_names(tmp_path)
    recorded = {r["record"] for r in rules() if "record" in r}
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [r["expr"] for r in rules()] + [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    for expr in exprs:
        unknown = metric_names(expr) - exported - recorded
        assert not unknown, f"{expr!r} names metrics nobody exports: {unknown}"
    assert metric_names('histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="y"}[5m]))) > on(b) c') == \
        {"a_bucket", "c"}


def test_the_guides_three_alerts_and_names():
    by_name = {r.get("alert") or r.get("record"): r for r in rules()}
    latency = by_name["LineageGraphQueryLatencyHigh"]["expr"]
    assert "histogram_quantile(0.95" in latency and "janusgraph_query_duration_ms_bucket" in latency
    assert latency.rstrip().endswith("> 500")
    assert "lineage_cassandra_node_up" in by_name["LineageCassandraNodeDown"]["expr"]
    assert "janusgraph_connection_errors_total" in by_name["LineageJanusGraphConnectionErrors"]["expr"]
    assert "cassandra_read_latency_ms" in by_name
    for name in ("LineageGraphQueryLatencyHigh", "LineageCassandraNodeDown", "LineageJanusGraphConnectionErrors"):
        assert by_name[name]["labels"]["severity"] in ("warning", "critical")
        assert by_name[name]["annotations"]["summary"] and by_name[name]["annotations"]["description"]


def test_the_dashboard_is_the_guides():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["title"] == "Lineage Graph Performance"
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in ("janusgraph_queries_total", "janusgraph_query_duration_ms_bucket", "lineage_ingest_seconds_bucket",
                   "lineage_events_ingested_total", "janusgraph_connection_errors_total", "lineage_graph_vertices",
                   "cassandra_read_latency_ms", "lineage_cassandra_node_up"):
        assert metric in exprs
    assert "histogram_quantile(0.99, sum by (le, backend) (rate(janusgraph_query_duration_ms_bucket" in exprs
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    not PROMTOOL, reason="promtool not found: apt-get install prometheus (.ci/run installs it)")


@needs_promtool
def test_promtool_checks_the_rules():
    run = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS: 5 rules found" in run.stdout


@needs_promtool
def test_promtool_unit_tests_fire_each_alert():
    run = subprocess.run([PROMTOOL, "test", "rules", str(RULE_TESTS)], capture_output=True, text=True,
                         cwd=RULE_TESTS.parent)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def sizes(samples) -> dict[str, float]:
    out = {s.labels["label"]: s.value for s in samples.get("lineage_graph_vertices", [])}
    out["events"] = total(samples, "lineage_graph_events")
    return out


def counted(store) -> dict[str, float]:
    out = {label: store.graph.count(label) for label in m.VERTEX_LABELS}
    out["events"] = store.event_count()
    return out


WRITER = """
import json, sys
from lineage import LineageStore, Settings
with LineageStore(Settings.from_env({}, db=sys.argv[1])) as store:
    events = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
    assert store.ingest(events).accepted == len(events)
"""


def test_graph_sizes_follow_every_commit_without_a_recount(settings, store, backend_name):
    import sys

    from conftest import REPO

    with serve(settings) as client:
        empty = sizes(scrape(client))
        assert empty["Dataset"] == 0 and empty["events"] == 0
        response = client.post("/api/v1/lineage/batch", json=food_delivery())
        assert response.status_code in (200, 201, 207), response.text
        after = sizes(scrape(client))     # at once: the commit updated the counts
        assert after == counted(store) and after["Dataset"] > 0 and after["events"] == len(food_delivery())
        if backend_name == "janusgraph":
            return   # another process's writes on a server show at the next reconcile (5 minutes)
        # another process writes the same file: its commit updates the same counts
        dbt = REPO / "tests" / "data" / "dbt_project_events.ndjson"
        subprocess.run([sys.executable, "-c", WRITER, str(settings.db_path), str(dbt)], check=True, timeout=120)
        other = sizes(scrape(client))
        assert other == counted(store) and other["Check"] > 0 and other["events"] > after["events"]
        # and deletions count too: retention removes every run
        assert store.expire_runs("9999-01-01T00:00:00Z") > 0
        assert sizes(scrape(client)) == {**counted(store), "Run": 0}


def test_the_embedded_file_keeps_its_own_counts(tmp_path):
    from lineage import LineageStore
    from lineage.graph.sizes import SIZES, read_sizes

    db = str(tmp_path / "lineage.db")
    with LineageStore(Settings.from_env({}, db=db)) as store:
        store.ingest(food_delivery())
        kept = read_sizes(store.backend.con)
        assert kept == {k: v for k, v in counted(store).items() if v}
        # a file written before the counts existed gets them, counted once, when opened
        con = store.backend.con
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?",
                                   (SIZES + "%",)).fetchall():
            con.execute(f"DROP TRIGGER {name}")
        con.execute(f"DROP TABLE {SIZES}")
        con.commit()
    with LineageStore(Settings.from_env({}, db=db)) as store:
        assert read_sizes(store.backend.con) == kept
        store.clear_graph(events=True)
        assert set(read_sizes(store.backend.con).values()) == {0}
