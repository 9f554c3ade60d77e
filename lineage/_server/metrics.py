"""Prometheus metrics of one app (its own registry, so apps in one process do not collide)."""

from __future__ import annotations

import time
from typing import Any, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .. import _model as m
from .._settings import Settings
from .graph_metrics import CassandraRing, GraphMetrics, backend_label


class Metrics:
    def __init__(self, count_vertices: Callable[[], dict[str, int]], ttl: float = 300.0,
                 settings: Settings | None = None) -> None:
        self.registry = CollectorRegistry()
        settings = settings or Settings.from_env({})
        self.graph = GraphMetrics(self.registry, backend_label(settings))
        self.ring = CassandraRing(settings) if settings["LINEAGE_CASSANDRA_HOSTS"] else None
        if self.ring is not None:
            self.registry.register(self.ring)
        self.events = Counter("lineage_events_ingested_total", "Events accepted, by event kind and outcome",
                              ["kind", "outcome"], registry=self.registry)
        self.rejected = Counter("lineage_events_rejected_total", "Events rejected, by the field at fault",
                                ["field"], registry=self.registry)
        self.ingest_seconds = Histogram("lineage_ingest_seconds", "Time to make a request's events durable",
                                        ["endpoint"], registry=self.registry)
        self.resolver_seconds = Histogram("lineage_graphql_resolver_seconds", "GraphQL resolver time by field",
                                          ["field"], registry=self.registry)
        self.backend_errors = Counter("lineage_backend_errors_total", "Graph store failures", ["operation"],
                                      registry=self.registry)
        self.requests = Counter("lineage_http_requests_total", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self._count = count_vertices
        self._ttl = ttl
        self._cached: tuple[float, dict[str, int]] | None = None
        self.registry.register(self)  # graph size gauges, computed on scrape

    def collect(self) -> Any:
        """Vertex counts, recounted at most every ``ttl`` seconds: counting a label
        scans it (gremlite counts in Python), so a scrape every 15 s must not."""
        family = GaugeMetricFamily("lineage_graph_vertices", "Vertices in the graph by label", labels=["label"])
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > self._ttl:
            try:
                self._cached = (now, self._count())
            except Exception as exc:
                self.backend_errors.labels("count").inc()
                self.graph.failed("count", exc)
                self._cached = (now, {})
        for label in m.VERTEX_LABELS:
            if label in self._cached[1]:
                family.add_metric([label], self._cached[1][label])
        yield family

    def describe(self) -> list[Any]:
        return []

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def close(self) -> None:
        if self.ring is not None:
            self.ring.close()
