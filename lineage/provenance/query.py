"""Asking questions of the provenance Parquet files with DuckDB.

:func:`connect` opens an in-memory DuckDB database with one view,
``provenance``, over every compacted and raw file of the directory (an empty
directory gives an empty view with the same columns), so any SQL works::

    SELECT data_sink, final_state, count(*) FROM provenance
    WHERE data_source = 's3://landing' GROUP BY ALL

:func:`find` is the filtered listing behind GraphQL ``provenance(...)``, the
HTTP route and the Grafana table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .._errors import InvalidArgument
from .parquet import SCHEMA, data_files

COLUMNS = [f.name for f in SCHEMA if f.name != "record_id"]
MAX_LIMIT = 10_000


def connect(directory: Path | str) -> Any:
    """A DuckDB connection with the ``provenance`` view over ``directory``."""
    import duckdb

    con = duckdb.connect()
    files = [str(p) for p in data_files(Path(directory))]
    if files:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)   # a view cannot take parameters
        con.execute(f"CREATE VIEW provenance AS SELECT * EXCLUDE (record_id) "
                    f"FROM read_parquet([{listed}], union_by_name = true)")
    else:
        empty = SCHEMA.empty_table()  # noqa: F841 - read by DuckDB through the Python scope
        con.register("provenance_empty", empty)
        con.execute("CREATE VIEW provenance AS SELECT * EXCLUDE (record_id) FROM provenance_empty")
    return con


def run_sql(directory: Path | str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of ``sql`` over the ``provenance`` view."""
    import duckdb

    con = connect(directory)
    try:
        cur = con.execute(sql)
        return [d[0] for d in cur.description or []], cur.fetchall()
    except duckdb.Error as exc:
        raise InvalidArgument(f"the provenance query failed: {exc}. The view is 'provenance' with columns "
                              f"{', '.join(COLUMNS)}") from None
    finally:
        con.close()


@dataclass(frozen=True)
class ProvenanceFilter:
    """Optional filters, all combined with AND; ``annotation_key`` needs ``annotation_value``."""

    run_id: str | None = None
    parent_run_id: str | None = None
    system_name: str | None = None
    data_source: str | None = None
    data_sink: str | None = None
    name: str | None = None
    final_state: str | None = None
    annotation_key: str | None = None
    annotation_value: str | None = None
    limit: int = 100

    def where(self) -> tuple[str, list[Any]]:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}; got {self.limit}")
        if bool(self.annotation_key) != bool(self.annotation_value):
            raise InvalidArgument("filter by annotation with both annotation_key and annotation_value")
        clauses, args = [], []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("limit", "annotation_key", "annotation_value") or value in (None, ""):
                continue
            clauses.append(f"{f.name} = ?")
            args.append(value.upper() if f.name == "final_state" else value)
        if self.annotation_key:
            clauses.append("annotations[?] = ?")
            args += [self.annotation_key, self.annotation_value]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _ms(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.replace(tzinfo=timezone.utc).timestamp() * 1000)
    return int(value)


def find(directory: Path | str, where: ProvenanceFilter = ProvenanceFilter()) -> list[dict[str, Any]]:
    """Records matching ``where``, newest first, as plain dicts (times in epoch ms)."""
    clause, args = where.where()
    con = connect(directory)
    try:
        cur = con.execute(f"SELECT {', '.join(COLUMNS)} FROM provenance{clause} "
                          f"ORDER BY completed DESC, run_id LIMIT {int(where.limit)}", args)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()
    for row in rows:
        row["created"], row["completed"] = _ms(row["created"]), _ms(row["completed"])
        row["annotations"] = dict(row["annotations"] or {})
        row["transforms"] = list(row["transforms"] or [])
    return rows


def summary(directory: Path | str, where: ProvenanceFilter = ProvenanceFilter()) -> dict[str, Any]:
    """How many records match, by final state and by system (the dashboard's counters)."""
    clause, args = where.where()
    con = connect(directory)
    try:
        total = con.execute(f"SELECT count(*) FROM provenance{clause}", args).fetchone()[0]
        by_state = con.execute(f"SELECT final_state, count(*) FROM provenance{clause} GROUP BY 1 ORDER BY 1",
                               args).fetchall()
        by_system = con.execute(f"SELECT system_name, count(*) FROM provenance{clause} GROUP BY 1 ORDER BY 1",
                                args).fetchall()
    finally:
        con.close()
    return {"total": total, "by_final_state": dict(by_state), "by_system": dict(by_system),
            # the same counts as rows, for tools that chart arrays (Grafana's Infinity data source)
            "final_states": [{"final_state": s, "records": n} for s, n in by_state],
            "systems": [{"system_name": s, "records": n} for s, n in by_system]}
