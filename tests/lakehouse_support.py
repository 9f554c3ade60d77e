"""A real Iceberg warehouse for tests: a SQL catalog on SQLite and a local
warehouse in ``tmp_path``, with ``gold.customers`` written twice (the second
write adds a column), as a lakehouse changes under a trained model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from lineage.integrations.iceberg import IcebergCatalog


def customers(start: int, count: int, region: bool = False) -> pa.Table:
    ids = list(range(start, start + count))
    columns = {"customer_id": pa.array(ids, pa.int64()),
               "tenure_months": pa.array([(i * 7) % 60 for i in ids], pa.int64()),
               "monthly_spend": pa.array([20.0 + (i * 13) % 80 for i in ids], pa.float64()),
               "churned": pa.array([i % 3 == 0 for i in ids], pa.bool_())}
    if region:
        columns["region"] = pa.array(["eu" if i % 2 else "us" for i in ids], pa.string())
    return pa.table(columns)


@dataclass
class Warehouse:
    root: Path
    uri: str
    warehouse: str
    catalog: IcebergCatalog
    first: int      # snapshot of the first write (40 rows, four columns)
    second: int     # snapshot after a column was added and 20 rows appended


def make_warehouse(root: Path) -> Warehouse:
    from pyiceberg.types import StringType

    root.mkdir(parents=True, exist_ok=True)
    uri, warehouse = f"sqlite:///{root / 'catalog.db'}", f"file://{root / 'warehouse'}"
    catalog = IcebergCatalog(uri=uri, warehouse=warehouse)
    catalog.catalog.create_namespace("gold")
    table = catalog.catalog.create_table("gold.customers", schema=customers(0, 1).schema)
    table.append(customers(0, 40))
    first = table.current_snapshot().snapshot_id
    with table.update_schema() as update:
        update.add_column("region", StringType())
    table.append(customers(40, 20, region=True))
    return Warehouse(root, uri, warehouse, catalog, first, table.current_snapshot().snapshot_id)


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return make_warehouse(tmp_path / "lake")
