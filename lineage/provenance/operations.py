"""``LineageMetadataRepository``: one row per finished run (an operation, in the
tracker's words) as Hive-partitioned Parquet beside the provenance records::

    LINEAGE_PROVENANCE_DIR/lineage_operations/date=YYYY-MM-DD/{system}--{instance}--{seq}.parquet

Each row has the run, its pipeline, final state, start, end and duration, the
datasets read and written, and the rows and bytes read and written (summed
from the ``inputStatistics`` / ``outputStatistics`` facets; null when no
producer said). The query engine's volume-flow analysis reads it with DuckDB;
retention ages its partitions off with the provenance files.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from .parquet import _write, safe_name
from .records import Terminal, to_ms

OPERATIONS = "lineage_operations"
SCHEMA = pa.schema([
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("pipeline_id", pa.string(), nullable=False),
    pa.field("system_name", pa.string(), nullable=False),
    pa.field("final_state", pa.string(), nullable=False),
    pa.field("started", pa.timestamp("ms")),
    pa.field("ended", pa.timestamp("ms"), nullable=False),
    pa.field("duration_ms", pa.int64()),
    pa.field("inputs", pa.list_(pa.string()), nullable=False),
    pa.field("outputs", pa.list_(pa.string()), nullable=False),
    pa.field("rows_in", pa.int64()),
    pa.field("rows_out", pa.int64()),
    pa.field("bytes_in", pa.int64()),
    pa.field("bytes_out", pa.int64()),
])


def operation_row(t: Terminal, system_name: str, created: int | None) -> dict[str, Any]:
    ended = to_ms(t.completed)
    started = to_ms(t.started) if t.started else created
    return {"run_id": t.run_id, "pipeline_id": t.pipeline_id, "system_name": system_name, "final_state": t.state,
            "started": started, "ended": ended, "duration_ms": ended - started if started is not None else None,
            "inputs": [key for _, key in t.inputs], "outputs": [key for _, key in t.outputs],
            **{k: t.volume.get(k) for k in ("rows_in", "rows_out", "bytes_in", "bytes_out")}}


class LineageMetadataRepository:
    """Operations (finished runs) as Hive-partitioned Parquet under ``base_path``."""

    def __init__(self, base_path: Path | str) -> None:
        self.base = Path(base_path)
        self.root = self.base / OPERATIONS

    def save_operations(self, rows: list[dict[str, Any]], system_name: str, instance: str, seq: int) -> list[Path]:
        """Write rows under ``date=`` partitions of the day each run ended; return the files."""
        by_day: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            day = datetime.fromtimestamp(row["ended"] / 1000, timezone.utc).strftime("%Y-%m-%d")
            by_day.setdefault(day, []).append(row)
        written = []
        for day, group in sorted(by_day.items()):
            target = self.root / f"date={day}" / f"{safe_name(system_name)}--{safe_name(instance)}--{seq:08d}.parquet"
            _write(pa.Table.from_pylist(group, schema=SCHEMA), target)
            written.append(target)
        return written

    def files(self) -> list[Path]:
        return sorted(self.root.glob("date=*/*.parquet"))

    def connect(self) -> Any:
        """DuckDB with a view ``operations`` (the ``date`` partition column included)."""
        import duckdb

        con = duckdb.connect()
        files = [str(p) for p in self.files()]
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            con.execute(f"CREATE VIEW operations AS SELECT * FROM read_parquet([{listed}], hive_partitioning = true,"
                        f" union_by_name = true)")
        else:
            empty = SCHEMA.empty_table().append_column("date", pa.array([], pa.string()))  # noqa: F841
            con.register("operations_empty", empty)
            con.execute("CREATE VIEW operations AS SELECT * FROM operations_empty")
        return con

    def operations(self, since_ms: int | None = None, pipeline_id: str | None = None) -> list[dict[str, Any]]:
        """Operations, oldest first, optionally since a time and of one pipeline (run ids deduplicated)."""
        clauses, args = [], []
        if since_ms is not None:
            clauses.append("ended >= make_timestamp(?::BIGINT * 1000)")
            args.append(since_ms)
        if pipeline_id:
            clauses.append("pipeline_id = ?")
            args.append(pipeline_id)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        con = self.connect()
        try:
            cur = con.execute(f"SELECT * EXCLUDE (date) FROM operations{where} "
                              f"QUALIFY row_number() OVER (PARTITION BY run_id, final_state ORDER BY ended) = 1 "
                              f"ORDER BY ended, run_id", args)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r)) for r in cur.fetchall()]
        finally:
            con.close()
        return rows

    def expired_partitions(self, before: datetime) -> list[Path]:
        """``date=`` folders whose whole day ended before ``before``."""
        out = []
        for folder in sorted(self.root.glob("date=*")):
            try:
                day = datetime.strptime(folder.name[5:], "%Y-%m-%d").replace(tzinfo=timezone.utc)
            except ValueError:
                continue
            if day + timedelta(days=1) <= before:
                out.append(folder)
        return out
