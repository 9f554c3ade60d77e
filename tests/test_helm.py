"""The Helm chart rendered by Helm's own engine, every manifest validated against
the Kubernetes schemas offline, and the wiring between the parts asserted."""

import json

import pytest
import yaml

from conftest import REPO

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is a test dependency: pip install -e '.[test]'")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

CHART = REPO / "deploy" / "helm" / "lineage"
KUBE = "1.30"
CASES = {
    "default": {},
    "external-cassandra": {"cassandra": {"external": {"hosts": ["cass-a.db", "cass-b.db", "cass-c.db"]}}},
    "ingress": {"ingress": {"enabled": True, "host": "lineage.example.com", "className": "nginx",
                            "tls": [{"hosts": ["lineage.example.com"], "secretName": "lineage-tls"}]},
                "api": {"tokens": ["a-long-random-token"]},
                "metrics": {"serviceMonitor": {"enabled": True},
                            "prometheusRule": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}}}},
    "replicas": {"api": {"replicas": 4}, "janusgraph": {"replicas": 2}, "cassandra": {"replicas": 5}},
}


def render(values):
    chart = helm.Chart.load(CHART)
    try:
        files = chart.render(values, name="lin", namespace="data")
    finally:
        chart.close()
    docs = []
    for name, text in files.items():
        if name.endswith(".yaml"):
            docs += [d for d in yaml.safe_load_all(text) if d]
    return docs, files


def find(docs, kind, suffix):
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(suffix)]
    assert len(matches) == 1, f"{kind} *{suffix}: {[d['metadata']['name'] for d in docs if d['kind'] == kind]}"
    return matches[0]


def env(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_chart_lints_and_every_manifest_is_valid(case):
    result = helm.lint(CHART, CASES[case], strict=True)
    assert result["errors"] == []
    docs, _ = render(CASES[case])
    for doc in docs:
        if doc["kind"] in ("ServiceMonitor", "PrometheusRule"):   # CRDs: not in the core schemas
            assert doc["apiVersion"] == "monitoring.coreos.com/v1"
            continue
        kubernetes_validate.validate(doc, KUBE, strict=True)


def test_default_wiring():
    docs, files = render({})
    api = find(docs, "Deployment", "-api")
    janus = find(docs, "Deployment", "-janusgraph")
    cassandra = find(docs, "StatefulSet", "-cassandra")
    jg_service = find(docs, "Service", "-janusgraph")
    api_env = env(api["spec"]["template"]["spec"]["containers"][0])
    assert api["spec"]["replicas"] == 2
    assert api_env["LINEAGE_GREMLIN_URL"] == f"ws://{jg_service['metadata']['name']}.data.svc.cluster.local:8182/gremlin"
    probes = api["spec"]["template"]["spec"]["containers"][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    init = api["spec"]["template"]["spec"]["initContainers"][0]
    assert init["command"][:3] == ["lineage", "doctor", "--wait"]
    assert api["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"

    jg_env = env(janus["spec"]["template"]["spec"]["containers"][0])
    name = cassandra["metadata"]["name"]
    assert jg_env["janusgraph.storage.hostname"] == ",".join(
        f"{name}-{i}.{name}-headless.data.svc.cluster.local" for i in range(3))
    assert jg_env["janusgraph.storage.backend"] == "cql" and jg_env["JANUS_PROPS_TEMPLATE"] == "cql"
    assert jg_env["janusgraph.storage.cql.read-consistency-level"] == "QUORUM"
    assert jg_env["janusgraph.storage.cql.write-consistency-level"] == "QUORUM"
    assert jg_env["janusgraph.storage.cql.replication-factor"] == "3"
    assert jg_env["janusgraph.storage.cql.replication-strategy-options"] == "datacenter1,3"
    assert jg_env["janusgraph.cache.db-cache-size"] == "0.25" and jg_env["janusgraph.cache.db-cache-time"] == "180000"
    assert jg_env["janusgraph.storage.cql.local-datacenter"] == "datacenter1"

    configmap = find(docs, "ConfigMap", "-janusgraph-initdb")
    assert configmap["data"]["janusgraph-schema.groovy"].strip() == \
        (REPO / "scripts" / "janusgraph-schema.groovy").read_text().strip()
    mount = janus["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]
    assert mount["mountPath"] == "/docker-entrypoint-initdb.d"
    assert janus["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == configmap["metadata"]["name"]

    assert cassandra["spec"]["replicas"] == 3
    assert cassandra["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert cassandra["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert find(docs, "Service", "-cassandra-headless")["spec"]["clusterIP"] == "None"
    assert find(docs, "PodDisruptionBudget", "-cassandra")["spec"]["maxUnavailable"] == 1
    notes = files["lineage/templates/NOTES.txt"]
    assert "/graphql" in notes and "gremlin.sh" in notes and "port-forward" in notes


def test_external_cassandra_replaces_the_ring():
    docs, files = render(CASES["external-cassandra"])
    assert not [d for d in docs if d["kind"] in ("StatefulSet", "PodDisruptionBudget")]
    janus = find(docs, "Deployment", "-janusgraph")
    assert env(janus["spec"]["template"]["spec"]["containers"][0])["janusgraph.storage.hostname"] == \
        "cass-a.db,cass-b.db,cass-c.db"
    api = find(docs, "Deployment", "-api")
    assert env(api["spec"]["template"]["spec"]["containers"][0])["LINEAGE_CASSANDRA_HOSTS"] == \
        "cass-a.db,cass-b.db,cass-c.db"
    assert "your Cassandra ring" in files["lineage/templates/NOTES.txt"]


def test_ingress_tokens_and_service_monitor():
    docs, files = render(CASES["ingress"])
    ingress = find(docs, "Ingress", "lin-lineage")
    assert ingress["spec"]["rules"][0]["host"] == "lineage.example.com"
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "lin-lineage-api"
    secret = find(docs, "Secret", "-api-tokens")
    api_env = env(find(docs, "Deployment", "-api")["spec"]["template"]["spec"]["containers"][0])
    assert api_env["LINEAGE_API_TOKENS"]["secretKeyRef"] == {"name": secret["metadata"]["name"], "key": "tokens"}
    assert secret["stringData"]["tokens"] == "a-long-random-token"
    assert find(docs, "ServiceMonitor", "-api")["spec"]["endpoints"][0]["path"] == "/metrics"
    assert "https://lineage.example.com/graphql" in files["lineage/templates/NOTES.txt"]


def test_replica_overrides():
    docs, _ = render(CASES["replicas"])
    assert find(docs, "Deployment", "-api")["spec"]["replicas"] == 4
    assert find(docs, "Deployment", "-janusgraph")["spec"]["replicas"] == 2
    cassandra = find(docs, "StatefulSet", "-cassandra")
    assert cassandra["spec"]["replicas"] == 5
    hosts = env(find(docs, "Deployment", "-janusgraph")["spec"]["template"]["spec"]["containers"][0])[
        "janusgraph.storage.hostname"]
    assert len(hosts.split(",")) == 5


@pytest.mark.parametrize("values,message", [
    ({"api": {"replicas": 0}}, "/api/replicas"),
    ({"cassandra": {"readConsistency": "SOMETIMES"}}, "/cassandra/readConsistency"),
    ({"api": {"tokenz": ["x"]}}, "tokenz"),
    ({"metrics": {"prometheusRule": {"enabled": "yes"}}}, "/metrics/prometheusRule/enabled"),
])
def test_values_schema_rejects_mistakes(values, message):
    errors = helm.lint(CHART, values)["errors"]
    assert errors and any(message in e for e in errors)


def test_grafana_dashboard_covers_the_metrics():
    dashboard = json.loads((REPO / "deploy" / "grafana" / "lineage-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in ("lineage_events_ingested_total", "lineage_graphql_resolver_seconds_bucket",
                   "lineage_backend_errors_total", "lineage_graph_vertices"):
        assert metric in exprs


def test_api_pods_keep_no_state_of_their_own():
    """The event log is in the graph store every replica shares: no per-pod journal."""
    docs, _ = render({})
    pod = find(docs, "Deployment", "-api")["spec"]["template"]["spec"]
    # only a scratch /tmp (the root filesystem is read-only), never an event journal
    assert [v["name"] for v in pod["volumes"]] == ["tmp"]
    for container in pod["containers"] + pod.get("initContainers", []):
        assert {m["mountPath"] for m in container.get("volumeMounts", [])} <= {"/tmp"}
        assert "LINEAGE_EVENT_LOG" not in env(container)
    janus = find(docs, "Deployment", "-janusgraph")["spec"]["template"]["spec"]["containers"][0]
    assert env(janus)["janusgraph.storage.lock.wait-time"] == "100"
    docs, _ = render({"janusgraph": {"lockWaitMs": 20}})
    janus = find(docs, "Deployment", "-janusgraph")["spec"]["template"]["spec"]["containers"][0]
    assert env(janus)["janusgraph.storage.lock.wait-time"] == "20"


def test_prometheus_rule_carries_the_rule_file_when_the_operator_is_there():
    docs, _ = render(CASES["ingress"])
    rule = find(docs, "PrometheusRule", "lin-lineage")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert rule["spec"] == yaml.safe_load((REPO / "deploy" / "prometheus" / "lineage-rules.yml").read_text())
    alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert alerts == {"LineageGraphQueryLatencyHigh", "LineageCassandraNodeDown", "LineageJanusGraphConnectionErrors"}
    # "auto" (the default) renders it only when the cluster serves the CRD; offline it does not
    docs, _ = render({})
    assert not [d for d in docs if d["kind"] == "PrometheusRule"]
    docs, _ = render({"metrics": {"prometheusRule": {"enabled": False}}})
    assert not [d for d in docs if d["kind"] == "PrometheusRule"]


def test_api_pods_run_as_the_images_user_on_a_read_only_root():
    docs, _ = render({})
    pod = find(docs, "Deployment", "-api")["spec"]["template"]["spec"]
    dockerfile = (REPO / "Dockerfile").read_text()
    user = dockerfile.split("\nUSER ", 1)[1].split("\n", 1)[0].strip()
    assert user == f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"] + pod["initContainers"]:
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts == {"/tmp"}   # the events live in the graph store, so nothing else is written


def test_chart_image_is_what_the_dockerfile_builds():
    values = yaml.safe_load((CHART / "values.yaml").read_text())["api"]["image"]
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    pyproject = (REPO / "pyproject.toml").read_text()
    version = pyproject.split('\nversion = "', 1)[1].split('"', 1)[0]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert values["tag"] == chart["appVersion"] == version
    assert f"ARG VERSION={version}" in dockerfile
    build = f"docker build -t {values['repository']}:{values['tag']}"
    assert build in dockerfile and build in (CHART / "README.md").read_text()
