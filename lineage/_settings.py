"""Configuration as documented data.

Every knob is a :class:`Setting` in :data:`SETTINGS`, read from a ``LINEAGE_*``
environment variable. The README lists them all, and a test fails when one is
missing there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ._errors import ConfigurationError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _niceness(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 19:
        raise ValueError("must be between 0 and 19")
    return value


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("use true or false")


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError("must be a positive number of seconds")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _engine(text: str) -> str:
    value = text.strip().lower()
    if value not in ("sql", "gremlin"):
        raise ValueError("use sql or gremlin")
    return value


def ack_mode(text: str) -> str:
    value = text.strip().lower()
    if value not in ("applied", "logged"):
        raise ValueError("use applied or logged")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting("LINEAGE_DB", "./lineage.db",
            "SQLite file of the embedded graph and its event log (used when LINEAGE_GREMLIN_URL is unset)."),
    Setting("LINEAGE_GREMLIN_URL", "",
            "Gremlin Server websocket URL, e.g. ws://janusgraph:8182/gremlin. Set it to use JanusGraph "
            "instead of the embedded store."),
    Setting("LINEAGE_GREMLIN_TRAVERSAL_SOURCE", "g",
            "Name of the traversal source bound on the Gremlin Server."),
    Setting("LINEAGE_DEFAULT_NAMESPACE", "default",
            "OpenLineage namespace given to short ids without one, e.g. 'churn_predictor'."),
    Setting("LINEAGE_BATCH_SIZE", 500,
            "Events projected per transaction by `lineage ingest` and the batch endpoint.", _positive_int),
    Setting("LINEAGE_HOST", "127.0.0.1", "Address `lineage serve` listens on (0.0.0.0 in a container)."),
    Setting("LINEAGE_PORT", 5000, "Port `lineage serve` listens on (Marquez's, so producers need no change).",
            _positive_int),
    Setting("LINEAGE_API_TOKENS", "",
            "Comma-separated bearer tokens, each optionally named as name:token (the audit trail records "
            "the name, never the token). When set, ingestion and GraphQL mutations need "
            "'Authorization: Bearer <token>' (what the OpenLineage client's api_key auth sends)."),
    Setting("LINEAGE_COMPONENT_GONE_INTERVALS", 10,
            "A component instance silent for this many reporting periods is gone (after 2 it is late).",
            _positive_int),
    Setting("LINEAGE_PROTECT_READS", False,
            "When true (and LINEAGE_API_TOKENS is set), queries and event listings need a token too.", _bool),
    Setting("LINEAGE_MAX_BODY_BYTES", 5_000_000,
            "Largest request body accepted (after gzip decompression); larger ones get 413.", _positive_int),
    Setting("LINEAGE_LOG_LEVEL", "INFO", "Log level of the JSON access and error logs (DEBUG, INFO, WARNING)."),
    Setting("LINEAGE_CASSANDRA_HOSTS", "",
            "Comma-separated Cassandra contact points behind JanusGraph; when set, `lineage doctor` checks "
            "the ring, the keyspace's replication and the consistency level."),
    Setting("LINEAGE_CASSANDRA_PORT", 9042, "Cassandra's CQL port.", _positive_int),
    Setting("LINEAGE_CASSANDRA_KEYSPACE", "janusgraph", "Keyspace JanusGraph stores the graph in."),
    Setting("LINEAGE_CASSANDRA_DATACENTER", "datacenter1",
            "Datacenter named in the keyspace's NetworkTopologyStrategy (`lineage doctor --create-keyspace`)."),
    Setting("LINEAGE_CASSANDRA_REPLICATION", 3, "Replication factor the keyspace should have.", _positive_int),
    Setting("LINEAGE_CASSANDRA_CONSISTENCY", "QUORUM",
            "Consistency level JanusGraph should read and write at."),
    Setting("LINEAGE_SQL_MAX_BYTES", 65_536,
            "Longest SQL facet query parsed for inputs; longer ones are accepted without derived inputs "
            "(the parser crashes its process from about 105 KB of nested expressions).", _positive_int),
    Setting("LINEAGE_SQL_TIMEOUT", 2.0,
            "Seconds one SQL facet parse may take in its worker process before it is stopped.", _positive_float),
    Setting("LINEAGE_MAX_DERIVED_EDGES", 2_000,
            "Most DERIVED_FROM/TRAINED_ON edges one event adds; a wider event keeps the first inputs of each "
            "output (by id) and records the full lists on its run.", _positive_int),
    Setting("LINEAGE_QUERY_TIMEOUT", 15.0,
            "Seconds a GraphQL request may read for; past it (or when the client leaves) its reads are stopped.",
            _positive_float),
    Setting("LINEAGE_WRITE_CHUNK", 0,
            "Graph updates sent in one traversal on the embedded store; 0 picks 1 (separate traversals are "
            "cheapest there). A Gremlin Server always gets one traversal per write transaction.",
            _non_negative_int),
    Setting("LINEAGE_CAPTURE_ENABLED", True,
            "When false, @track_lineage and tracker operations run the code without capturing or emitting.",
            _bool),
    Setting("LINEAGE_CAPTURE_MAX_PARAMETER_BYTES", 16384,
            "Largest JSON of a captured call's parameters; bigger values are replaced by a note.", _positive_int),
    Setting("LINEAGE_CAPTURE_REDACT", "",
            "Comma-separated extra words; a parameter whose name contains one is recorded as ***, like "
            "password, secret, token, api_key, credential and auth always are."),
    Setting("LINEAGE_CAPTURE_ORDER_INDEPENDENT", False,
            "When true, captured tables are fingerprinted independently of row order (rowset-v1).", _bool),
    Setting("LINEAGE_WEB_ASSETS", "",
            "Folder of the browser libraries the explorer and GraphiQL load (the node_modules that `npm ci` "
            "fills); empty means the node_modules beside the source checkout."),
    Setting("LINEAGE_SYSTEM_NAME", "",
            "Name of this instance in provenance records (several instances may share one provenance "
            "directory); empty means the host name."),
    Setting("LINEAGE_PROVENANCE_ENABLED", False,
            "When true, every run that reaches a terminal state leaves provenance records, flushed to "
            "Parquet under LINEAGE_PROVENANCE_DIR.", _bool),
    Setting("LINEAGE_PROVENANCE_DIR", "./provenance",
            "Directory of the provenance Parquet files: raw/YYYYMMDD/HH/*.parquet and "
            "compacted/{system}/YYYYMMDD/HH.parquet (the export target)."),
    Setting("LINEAGE_PROVENANCE_ANNOTATIONS", "",
            "Comma-separated tag keys (run and job `tags` facets) copied into provenance records, "
            "e.g. 'customer_id,batch'; empty records none."),
    Setting("LINEAGE_PROVENANCE_AGE_OFF_DAYS", 3,
            "Days provenance Parquet partitions are kept; 0 keeps them forever.", _non_negative_int),
    Setting("LINEAGE_PROVENANCE_FLUSH_SECONDS", 60,
            "How often `lineage serve` writes buffered provenance records to raw Parquet and compacts "
            "finished hours.", _positive_int),
    Setting("LINEAGE_RETENTION_RUN_DAYS", 0,
            "Days Run vertices are kept after they end; 0 keeps them forever. Lineage edges are never "
            "aged off.", _non_negative_int),
    Setting("LINEAGE_RETENTION_EVENT_DAYS", 0,
            "Days event-log rows are kept; 0 keeps them forever. The latest run of each job with each "
            "set of inputs and outputs is always kept, so `lineage rebuild` still draws every edge.",
            _non_negative_int),
    Setting("LINEAGE_RETENTION_INTERVAL_SECONDS", 3600,
            "How often `lineage serve` applies retention; 0 turns the schedule off (run "
            "`lineage retention --apply` instead).", _non_negative_int),
    Setting("LINEAGE_EMBEDDED_ENGINE", "sql",
            "How the embedded file is read and written: sql (recursive CTEs and batched writes on "
            "gremlite's tables, the fast default) or gremlin (portable Gremlin through gremlite, the "
            "reference implementation, much slower). Both see the same data, e.g. LINEAGE_EMBEDDED_ENGINE=gremlin.",
            _engine),
    Setting("LINEAGE_WRITE_THREADS", 1,
            "Writer threads of `lineage serve` on a Gremlin Server, each committing its own group of "
            "requests (the embedded file takes one writer at a time and always gets one). One thread "
            "puts every waiting request in one commit; more overlap commits, worth it only where the "
            "server evaluates many traversals at once (gremlinPool) and its lock wait is long.", _positive_int),
    Setting("LINEAGE_READ_PROCESSES", 0,
            "Reader processes of `lineage serve` on the embedded file: GraphQL queries are answered there, "
            "on their own connections to the WAL file, while the serving process keeps HTTP, mutations "
            "and the one writer; 0 answers them in-process (threads). E.g. LINEAGE_READ_PROCESSES=2.",
            _non_negative_int),
    Setting("LINEAGE_INGEST_ACK", "applied",
            "When `lineage serve` on a Gremlin Server answers an event POST: applied (201/200 once the event "
            "is logged and its graph changes committed, read-your-writes) or logged (202 once the raw event "
            "is durable in the shared log, written without locks; the graph follows within moments). A "
            "request may choose with ?ack=applied or ?ack=logged. The embedded file always applies "
            "before it answers. E.g. LINEAGE_INGEST_ACK=logged.", ack_mode),
    Setting("LINEAGE_APPLIER_LEASE_SECONDS", 10,
            "On a Gremlin Server, one `lineage serve` replica at a time applies the events logged with "
            "ack=logged: the holder of a lease it renews every third of this; when it stops, another "
            "replica takes over within this many seconds. E.g. LINEAGE_APPLIER_LEASE_SECONDS=10.",
            _positive_int),
    Setting("LINEAGE_WRITER_NICENESS", 0,
            "Niceness (0-19) added to the writer threads of `lineage serve` on Linux: on a busy machine reads "
            "then get the CPU before writes (faster reads, slower writes); with it the serving process also hands "
            "the interpreter lock over every 1 ms instead of 5. E.g. LINEAGE_WRITER_NICENESS=10.",
            _niceness),
    Setting("LINEAGE_READS_FIRST_MS", 50,
            "How long (ms) the embedded writer of `lineage serve`, holding a group of events, waits for "
            "GraphQL queries in flight to finish before it writes (0: it does not wait). Under mixed load "
            "reads then stay near their unloaded latency and writes take longer; the bound keeps steady "
            "reads from starving writes. E.g. LINEAGE_READS_FIRST_MS=0 to write at once.", _non_negative_int),
    Setting("LINEAGE_WRITE_ATTEMPTS", 8,
            "Tries of a write that lost a race with another writer (lock contention, a concurrent update, "
            "a temporary backend failure, a timeout), with jittered backoff, before answering 503.",
            _positive_int),
    Setting("LINEAGE_ICEBERG_CATALOG", "default",
            "Name of the Iceberg catalog the drift check reads (`lineage iceberg`, GraphQL modelDataDrift); "
            "without LINEAGE_ICEBERG_URI it is loaded from pyiceberg's own configuration (.pyiceberg.yaml)."),
    Setting("LINEAGE_ICEBERG_URI", "",
            "Iceberg catalog URI: a SQLAlchemy URL for a SQL catalog (sqlite:////data/catalog.db) or a REST "
            "catalog's http(s) URL."),
    Setting("LINEAGE_ICEBERG_WAREHOUSE", "",
            "Iceberg warehouse location for the catalog above, e.g. file:///data/warehouse or s3://bucket/wh."),
    Setting("LINEAGE_REPLAY_DIR", "",
            "Folder where capture keeps each function version (functions/) and the data steps read and "
            "wrote (inputs/), so runs can be replayed; empty keeps nothing."),
    Setting("LINEAGE_REPLAY_INPUT_MAX_BYTES", 268435456,
            "Cap on the data kept in the replay folder's inputs/; the oldest entries go first, 0 keeps none.",
            _non_negative_int),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :meth:`from_env` or pass values directly."""

    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for s in SETTINGS:
            raw = environ.get(s.name)
            if raw is None or raw == "":
                values[s.name] = s.default
                continue
            try:
                values[s.name] = s.parse(raw)
            except ValueError as exc:
                raise ConfigurationError(
                    f"{s.name}={raw!r} is not valid ({exc}); {s.help}") from None
        for key, value in overrides.items():
            name = key if key.startswith("LINEAGE_") else f"LINEAGE_{key.upper()}"
            if name not in _BY_NAME:
                raise ConfigurationError(f"unknown setting {name}; known: {', '.join(_BY_NAME)}")
            values[name] = value
        return cls(values)

    def __getitem__(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        return _BY_NAME[name].default

    @property
    def db_path(self) -> str:
        return self["LINEAGE_DB"]

    @property
    def gremlin_url(self) -> str:
        return self["LINEAGE_GREMLIN_URL"]

    @property
    def default_namespace(self) -> str:
        return self["LINEAGE_DEFAULT_NAMESPACE"]

    @property
    def system_name(self) -> str:
        import socket

        return str(self["LINEAGE_SYSTEM_NAME"]).strip() or socket.gethostname()

    @property
    def api_tokens(self) -> frozenset[str]:
        return frozenset(self.token_names)

    @property
    def token_names(self) -> dict[str, str]:
        """Each accepted token and the name the audit trail records for it: ``name:token``
        names it; a plain token is named by a short hash, never by the secret."""
        import hashlib

        names: dict[str, str] = {}
        for item in str(self["LINEAGE_API_TOKENS"]).split(","):
            name, sep, token = item.strip().partition(":")
            if not sep:
                name, token = "", name
            name, token = name.strip(), token.strip()
            if token:
                names[token] = name or "token-" + hashlib.sha256(token.encode()).hexdigest()[:8]
        return names
