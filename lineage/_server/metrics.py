"""Prometheus metrics of one app (its own registry, so apps in one process do not collide)."""

from __future__ import annotations

from typing import Any, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .. import _model as m
from .._settings import Settings
from ..graph.sizes import EVENTS
from .graph_metrics import CassandraRing, GraphMetrics, backend_label


class Metrics:
    def __init__(self, sizes: Callable[[], dict[str, int]], settings: Settings | None = None) -> None:
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
        # reader processes (LINEAGE_READ_PROCESSES): where a pooled query's time went
        self.read_pool_wait = Histogram("lineage_read_pool_wait_seconds",
                                        "Time a GraphQL query waited for an idle reader process",
                                        registry=self.registry)
        self.read_pool_round_trip = Histogram("lineage_read_pool_round_trip_seconds",
                                              "Time from handing a query to a reader process to its answer",
                                              registry=self.registry)
        self.read_pool_execute = Histogram("lineage_read_pool_execute_seconds",
                                           "Part of the round trip the reader process spent executing the query",
                                           registry=self.registry)
        self._sizes = sizes
        self.registry.register(self)  # graph size gauges, read on scrape

    def collect(self) -> Any:
        """Vertices by label and events in the log, as the writes keep them
        (:mod:`lineage.graph.sizes`): no scrape counts the graph."""
        family = GaugeMetricFamily("lineage_graph_vertices", "Vertices in the graph by label", labels=["label"])
        events = GaugeMetricFamily("lineage_graph_events", "Events in the event log")
        try:
            sizes = self._sizes()
        except Exception as exc:
            self.backend_errors.labels("count").inc()
            self.graph.failed("count", exc)
            sizes = {}
        for label in m.VERTEX_LABELS:
            family.add_metric([label], sizes.get(label, 0))
        yield family
        if EVENTS in sizes:
            events.add_metric([], sizes[EVENTS])
            yield events

    def describe(self) -> list[Any]:
        return []

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def close(self) -> None:
        if self.ring is not None:
            self.ring.close()
