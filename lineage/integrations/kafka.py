"""Lineage through Kafka: OpenLineage events (what OpenLineage's Kafka transport
produces), heartbeats and catalog messages read from topics.

Delivery is at least once: a batch of messages is made durable (logged and
projected, in one transaction on the embedded store) before its offsets are
committed, so a crash re-reads what was not yet durable, and the re-read
messages are recognised as duplicates. A message that can never be accepted
(bad JSON, a missing field) is logged, counted and skipped, so it cannot block
the partition. Each accepted event is stamped with an audit facet: principal
``kafka:<topic>``, the message's topic/partition/offset as its request id, and
its ``Request-Id``, ``Exec-Path``, ``Input-Request-Id``, ``Data-Source-*``
headers. Needs ``pip install 'lineage-graph[kafka]'`` (confluent-kafka).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .._errors import BackendError, ConfigurationError, InvalidEvent, LineageError
from .._events import Event, parse_event
from .._store import LineageStore
from ..catalog import audit
from ..catalog.messages import catalog_event, heartbeat_event, now_iso
from ..catalog.sinks import CATALOG, HEARTBEATS, KIND_HEADER, default_topic

log = logging.getLogger("lineage.kafka")
EVENTS = "events"


@dataclass
class ConsumeStats:
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[str] = field(default_factory=list)
    commits: int = 0


def message_kind(topic: str, headers: dict[str, str], value: Any) -> str:
    """Events, heartbeats or catalog: by the kind header, the topic, else the shape."""
    kind = headers.get(KIND_HEADER.lower())
    if kind in (EVENTS, HEARTBEATS, CATALOG):
        return kind
    if topic == default_topic(HEARTBEATS):
        return HEARTBEATS
    if topic == default_topic(CATALOG):
        return CATALOG
    if isinstance(value, dict) and "instance_id" in value and "status" in value and "eventTime" not in value:
        return HEARTBEATS
    if isinstance(value, dict) and "eventTime" not in value and "id" in value:
        return CATALOG
    return EVENTS


def to_event(message: Any, default_namespace: str) -> Event:
    """One Kafka message as a stamped event; InvalidEvent when it cannot be accepted."""
    headers_list = [(k, (v or b"").decode("utf-8", "replace")) for k, v in (message.headers() or [])]
    headers = {k.lower(): v for k, v in headers_list}
    try:
        value = json.loads(message.value() or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent("value", f"is not valid JSON ({exc})", "Produce one JSON message per record.") from None
    kind = message_kind(message.topic(), headers, value)
    if kind == HEARTBEATS:
        event = heartbeat_event(value)
    elif kind == CATALOG:
        event = catalog_event(value, default_namespace)
    else:
        event = parse_event(value)
    where = f"{message.topic()}/{message.partition()}/{message.offset()}"
    ctx = audit.AuditContext(http_request_id=where, principal=f"kafka:{message.topic()}", client_address=None,
                             received_at=now_iso(), producer=audit.producer_fields(headers_list))
    return audit.stamp(event, ctx)


def consume(store: LineageStore, topics: list[str], bootstrap_servers: str, group_id: str = "lineage", *,
            max_messages: int | None = None, idle_timeout: float | None = None, batch_size: int = 500,
            config: dict[str, Any] | None = None, on_batch: Callable[[ConsumeStats], None] | None = None,
            ) -> ConsumeStats:
    """Read until ``max_messages`` were read or no message came for ``idle_timeout`` seconds
    (both None: until interrupted)."""
    try:
        from confluent_kafka import Consumer, KafkaError
    except ImportError:
        raise ConfigurationError("reading from Kafka needs confluent-kafka: pip install 'lineage-graph[kafka]'") \
            from None
    conf = {"bootstrap.servers": bootstrap_servers, "group.id": group_id, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
    conf.update(config or {})
    consumer = Consumer(conf)
    consumer.subscribe(topics)
    stats = ConsumeStats()
    last_message = time.monotonic()
    try:
        while max_messages is None or stats.messages < max_messages:
            room = batch_size if max_messages is None else min(batch_size, max_messages - stats.messages)
            batch = [m for m in consumer.consume(room, timeout=1.0) if m is not None]
            errors = [m for m in batch if m.error() and m.error().code() != KafkaError._PARTITION_EOF]
            for m in errors:
                log.warning("kafka: %s", m.error())
            batch = [m for m in batch if not m.error()]
            if not batch:
                if idle_timeout is not None and time.monotonic() - last_message > idle_timeout:
                    break
                continue
            last_message = time.monotonic()
            events = []
            for m in batch:
                try:
                    events.append(to_event(m, store.settings.default_namespace))
                except InvalidEvent as exc:
                    stats.rejected.append(f"{m.topic()}/{m.partition()}/{m.offset()}: {exc.message}")
                    log.warning("kafka: skipped %s/%s/%s: %s", m.topic(), m.partition(), m.offset(), exc.message)
            try:
                fresh, _ = store.project(events) if events else ([], None)   # durable before the commit
            except LineageError:
                raise
            except Exception as exc:
                raise BackendError(f"could not make {len(events)} events durable ({type(exc).__name__}: {exc}); "
                                   "no offset was committed, so they are read again on the next run") from exc
            consumer.commit(asynchronous=False)
            stats.messages += len(batch)
            stats.accepted += len(fresh)
            stats.duplicates += len(events) - len(fresh)
            stats.commits += 1
            if on_batch:
                on_batch(stats)
    finally:
        consumer.close()
    return stats
