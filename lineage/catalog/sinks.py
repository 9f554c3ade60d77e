"""Where a component's heartbeats and catalog messages go.

A sink has ``send(kind, message, headers)`` where ``kind`` is ``"heartbeats"``
or ``"catalog"``; it may raise, and the caller decides what a failure means
(the :class:`~lineage.capture.heartbeat.Reporter` logs and carries on).

* :class:`ListSink` keeps them in a list (tests, dry runs);
* :class:`HttpSink` posts them to a lineage server (``/api/v1/heartbeats``,
  ``/api/v1/catalog``), with a bearer token and the audit headers;
* :class:`KafkaSink` produces them to a topic (``HEART_BEAT_PROVENANCE_TOPIC``,
  default ``provenance.live``, or ``DATA_CATALOG_TOPIC``, default ``catalog``),
  the audit fields as record headers; needs ``pip install 'lineage-graph[kafka]'``.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Mapping

import httpx

HEARTBEATS, CATALOG = "heartbeats", "catalog"
DEFAULT_TOPICS = {HEARTBEATS: ("HEART_BEAT_PROVENANCE_TOPIC", "provenance.live"),
                  CATALOG: ("DATA_CATALOG_TOPIC", "catalog")}
KIND_HEADER = "Lineage-Message-Kind"


def default_topic(kind: str) -> str:
    variable, default = DEFAULT_TOPICS[kind]
    return os.environ.get(variable) or default


class ListSink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self._lock = threading.Lock()

    def send(self, kind: str, message: Mapping[str, Any], headers: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            self.messages.append((kind, dict(message), dict(headers or {})))

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for k, m, _ in self.messages if k == kind]

    def close(self) -> None:
        pass


def _header_pairs(headers: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    pairs = []
    for name, value in (headers or {}).items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v is not None:
                pairs.append((name, str(v)))
    return pairs


class HttpSink:
    def __init__(self, url: str, token: str | None = None, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=timeout, headers=auth)

    def send(self, kind: str, message: Mapping[str, Any], headers: Mapping[str, Any] | None = None) -> None:
        response = self._client.post(f"{self.url}/api/v1/{kind}", content=json.dumps(message).encode(),
                                     headers=[("Content-Type", "application/json"), *_header_pairs(headers)])
        response.raise_for_status()

    def close(self) -> None:
        self._client.close()


class KafkaSink:
    def __init__(self, topic: str | None = None, bootstrap_servers: str | None = None,
                 config: Mapping[str, Any] | None = None, kind: str = HEARTBEATS) -> None:
        from confluent_kafka import Producer

        self.topic = topic or default_topic(kind)
        conf = {"bootstrap.servers": bootstrap_servers or os.environ.get("BOOTSTRAP_SERVERS", "localhost:9092")}
        conf.update(config or {})
        self._producer = Producer(conf)

    def send(self, kind: str, message: Mapping[str, Any], headers: Mapping[str, Any] | None = None) -> None:
        if self._producer is None:
            raise RuntimeError("this KafkaSink is closed")
        pairs = [(KIND_HEADER, kind), *_header_pairs(headers)]
        self._producer.produce(self.topic, json.dumps(message).encode(),
                               headers=[(k, v.encode()) for k, v in pairs])
        self._producer.poll(0)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(10)
            self._producer = None   # frees the client: it stops reconnecting
