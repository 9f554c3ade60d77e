"""Which write failures are retried: by what they are, not by the words in them."""

from __future__ import annotations

import random
import sqlite3

import pytest
from gremlin_python.driver.protocol import GremlinServerError

from lineage import BackendError, LineageStore
from lineage._retry import CONFLICT, Backoff, TornRead, retriable

from conftest import make_settings


def server_error(code: int, message: str, *exceptions: str) -> GremlinServerError:
    """A Gremlin Server answer as gremlinpython raises it (status code, message, and
    the Java exception classes of the cause chain in the status attributes)."""
    return GremlinServerError({"code": code, "message": message,
                               "attributes": {"exceptions": list(exceptions), "stackTrace": ""}})


@pytest.mark.parametrize("exc, reason", [
    (server_error(500, "Could not commit transaction due to exception during persistence",
                  "org.janusgraph.core.JanusGraphException",
                  "org.janusgraph.diskstorage.locking.PermanentLockingException"), "lock contention"),
    (server_error(500, "Local lock contention", "org.janusgraph.diskstorage.locking.PermanentLockingException"),
     "lock contention"),
    (server_error(500, "Lock expired", "org.janusgraph.diskstorage.locking.TemporaryLockingException"),
     "lock contention"),
    (server_error(500, "backend down", "org.janusgraph.diskstorage.TemporaryBackendException"),
     "temporary backend failure"),
    (server_error(595, CONFLICT, "org.apache.tinkerpop.gremlin.process.traversal.step.sideEffect.FailStep$FailException"),
     "concurrent update"),
    (server_error(500, "Adding this property for key [dataset_id] and value [d1] violates a uniqueness "
                  "constraint [by_dataset_id_unique]", "org.janusgraph.core.SchemaViolationException"),
     "concurrent create"),
    (TornRead("Run vertex 4096 was read while another writer was creating it"), "concurrent create"),
    (server_error(596, "temporary"), "temporary backend failure"),
    (server_error(598, "A timeout occurred during traversal evaluation"), "timeout"),
    (sqlite3.OperationalError("database is locked"), "database busy"),
    (TimeoutError(), "timeout"),
    (ConnectionResetError(), "connection lost"),
])
def test_races_and_transient_failures_are_retriable(exc, reason):
    assert retriable(exc) == reason


@pytest.mark.parametrize("exc", [
    # the same words, but not what they say: a schema mistake and a user's fail()
    server_error(500, "lock conflict timeout uniqueness", "org.janusgraph.core.SchemaViolationException"),
    server_error(595, "lock timeout", "org.apache.tinkerpop.gremlin.process.traversal.step.sideEffect.FailStep$FailException"),
    server_error(597, "No such property: lock", "groovy.lang.MissingPropertyException"),
    sqlite3.OperationalError("no such table: lock_timeout"),
    ValueError("timeout"),
])
def test_other_failures_are_not_retried(exc):
    assert retriable(exc) is None


def test_the_cause_chain_is_followed():
    try:
        try:
            raise server_error(500, "Local lock contention",
                               "org.janusgraph.diskstorage.locking.PermanentLockingException")
        except GremlinServerError as inner:
            raise RuntimeError("write failed") from inner
    except RuntimeError as outer:
        assert retriable(outer) == "lock contention"


def test_backoff_is_jittered_and_bounded():
    backoff = Backoff(attempts=8, base=0.02, cap=1.0)
    rng = random.Random(3)
    delays = [[backoff.delay(n, rng) for _ in range(200)] for n in range(1, 9)]
    for n, values in enumerate(delays, start=1):
        assert 0 <= min(values) and max(values) <= min(1.0, 0.02 * 2 ** (n - 1))
        assert len(set(values)) > 150          # jittered, not a fixed schedule
    assert max(delays[-1]) > 0.5               # grows to the cap


def test_a_failure_that_is_no_race_is_reported_at_once(tmp_path):
    """Not retried, and a 503 without Retry-After: waiting would not help."""
    with LineageStore(make_settings("embedded", tmp_path)) as store:
        store.backend.con.execute("DROP TABLE lineage_events")
        store.backend.con.commit()
        event = {"eventType": "COMPLETE", "eventTime": "2024-05-01T12:00:00Z", "producer": "https://example.com/t",
                 "run": {"runId": "3f5e8b36-6f5e-4b8a-9a47-6b1d8a4a8b00"}, "job": {"namespace": "n", "name": "j"},
                 "inputs": [], "outputs": [{"namespace": "n", "name": "out"}]}
        with pytest.raises(BackendError) as info:
            store.ingest([event])
        assert info.value.status == 503 and info.value.retry_after is None
        assert "rejected the write" in info.value.message and "no such table" in info.value.message
