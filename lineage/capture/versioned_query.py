"""DuckDB queries whose lineage, code version and output version are captured.

    job = create_versioned_query(
        job_name="aggregate_orders",
        sql_query="SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id",
        input_tables=["orders"],
        output_table="customer_order_counts",
    )
    result = job.execute(conn)          # a DuckDB relation over customer_order_counts

* inputs and outputs not given are read from the SQL with openlineage-sql;
* the code version is ``sql:<sha256>`` of the normalised SQL (comments and
  whitespace do not count), so editing the query shows as a new code version;
* a ``SELECT`` with an ``output_table`` is materialised as
  ``CREATE OR REPLACE TABLE <output_table> AS <query>``; other statements
  (``CREATE TABLE ... AS``, ``INSERT``) run as written;
* the inputs are fingerprinted before the query and the output after it
  (row-order independent by default: SQL results have no order); the output's
  version is its fingerprint, with its row count and size.

Table names are dataset names in the tracker's namespace (``orders`` is the
dataset ``orders``; ``analytics.orders`` stays qualified).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .codeversion import normalise_sql, sql_version
from .record import OperationType
from .tracker import LineageTracker, Operation, get_global_tracker

_QUERY_WORDS = {"SELECT", "WITH", "FROM", "VALUES", "TABLE", "PIVOT", "UNPIVOT", "("}


def _parse_tables(sql: str) -> tuple[list[str], list[str]]:
    try:
        import openlineage_sql
        meta = openlineage_sql.parse([sql], dialect="duckdb")
    except Exception:
        return [], []
    if meta is None:
        return [], []
    return [t.qualified_name for t in meta.in_tables], [t.qualified_name for t in meta.out_tables]


@dataclass
class VersionedQuery:
    job_name: str
    sql_query: str
    input_tables: list[str] | None = None
    output_table: str | None = None
    tracker: LineageTracker | None = None
    namespace: str | None = None
    fingerprint_inputs: bool = True
    order_independent: bool = True
    code_version: str = field(init=False)

    def __post_init__(self) -> None:
        self.code_version = sql_version(self.sql_query)
        parsed_in, parsed_out = _parse_tables(self.sql_query)
        if self.input_tables is None:
            self.input_tables = [t for t in parsed_in if t not in parsed_out]
        if self.output_table is None and parsed_out:
            self.output_table = parsed_out[0]

    @property
    def is_query(self) -> bool:
        words = normalise_sql(self.sql_query).split(None, 1)
        return bool(words) and (words[0].upper() in _QUERY_WORDS or words[0].startswith("("))

    def _operation(self, tracker: LineageTracker) -> Operation:
        op = Operation(tracker, self.job_name, OperationType.TRANSFORM, namespace=self.namespace,
                       sql=self.sql_query, version=self.code_version, integration="DUCKDB")
        op.record.function_id = self.job_name
        op.order_independent = self.order_independent
        return op

    def execute(self, conn: Any, parameters: Any = None) -> Any:
        """Run the query on a DuckDB connection and record the run; returns a relation over
        the output table (or over the query's result when there is none)."""
        tracker = self.tracker or get_global_tracker()
        if not tracker.enabled:
            return self._run(conn, parameters)
        op = self._operation(tracker)
        for table in self.input_tables or []:
            data = tracker._guard(conn.table, table) if self.fingerprint_inputs else None
            op.add_input(table, data)
        if parameters is not None:
            op.set_parameters({"parameters": parameters})
        op.start()
        try:
            result = self._run(conn, parameters)
        except BaseException as exc:
            op.finish(exc)
            raise
        if self.output_table:
            op.add_output(self.output_table, tracker._guard(conn.table, self.output_table))
        elif result is not None:
            op.add_output(None, result, hint="result")
        op.finish()
        return result

    def _run(self, conn: Any, parameters: Any) -> Any:
        sql = self.sql_query.strip().rstrip(";")
        if self.output_table and self.is_query:
            conn.execute(f"CREATE OR REPLACE TABLE {self.output_table} AS {sql}", parameters)
            return conn.table(self.output_table)
        if self.output_table:
            conn.execute(sql, parameters)
            return conn.table(self.output_table)
        return conn.sql(sql, params=parameters) if parameters is not None else conn.sql(sql)


def create_versioned_query(job_name: str, sql_query: str, input_tables: list[str] | None = None,
                           output_table: str | None = None, **options: Any) -> VersionedQuery:
    """A DuckDB query whose runs are captured (see the module documentation)."""
    return VersionedQuery(job_name, sql_query, None if input_tables is None else list(input_tables),
                          output_table, **options)
