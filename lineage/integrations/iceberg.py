"""Iceberg tables as versioned datasets (``pip install 'lineage-graph[iceberg]'``).

An Iceberg table's snapshot id is the dataset version lineage records (the
standard ``version`` dataset facet), so a model trained on
``gold/customers@<snapshot>`` can be re-read exactly as it was::

    from lineage import JanusGraphClient
    from lineage.integrations.iceberg import IcebergCatalog, compare_schemas

    iceberg = IcebergCatalog(uri="sqlite:///warehouse/catalog.db", warehouse="file:///warehouse")
    with JanusGraphClient() as client:
        snapshot_id = iceberg.get_snapshot_id("gold", "customers")
        client.add_dataset("gold/customers", layer="gold", version=snapshot_id)
        then = iceberg.time_travel("gold", "customers", snapshot_id)
        now = iceberg.time_travel("gold", "customers", "latest")
        print(compare_schemas(then, now))

The dataset id of table ``customers`` in namespace ``gold`` is ``gold/customers``
(a nested namespace keeps its dots: ``lake.gold/customers``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .._builders import DatasetSpec
from .._errors import InvalidArgument, NotFound
from .._ids import NodeKey
from . import recorder_of, require

LATEST = "latest"


def dataset_id(namespace: str, table: str) -> str:
    """``gold/customers`` for table ``customers`` in namespace ``gold``."""
    return f"{namespace}/{table}"


def table_of(dataset: str) -> tuple[str, str]:
    """``('gold', 'customers')`` for the dataset id ``gold/customers``."""
    key = NodeKey.parse(dataset, "")
    if not key.namespace or "://" in key.namespace:
        raise InvalidArgument(f"dataset {dataset!r} does not name an Iceberg table; "
                              "write it as '<namespace>/<table>', e.g. 'gold/customers'")
    return key.namespace, key.name


@dataclass
class TableVersion:
    """One snapshot of a table, read: its schema, its rows and where it came from."""

    dataset_id: str
    snapshot_id: int | None
    timestamp_ms: int | None
    schema: list[tuple[str, str]]
    data: Any = field(repr=False)      # a pyarrow.Table

    @property
    def row_count(self) -> int:
        return int(self.data.num_rows)

    def to_dict(self) -> dict[str, Any]:
        return {"dataset_id": self.dataset_id, "snapshot_id": self.snapshot_id, "timestamp_ms": self.timestamp_ms,
                "row_count": self.row_count, "schema": [{"name": n, "type": t} for n, t in self.schema]}


def _columns(schema: Any) -> list[tuple[str, str]]:
    """(name, type) of each top-level column of an Iceberg or Arrow schema."""
    if hasattr(schema, "fields") and schema.fields and hasattr(schema.fields[0], "field_type"):
        return [(f.name, str(f.field_type)) for f in schema.fields]
    return [(f.name, str(f.type)) for f in schema]


def _snapshot_id(value: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidArgument(f"snapshot {value!r} is not an Iceberg snapshot id; pass the integer id "
                              "(e.g. 4358109269873137077) or 'latest'") from None


class IcebergCatalog:
    """Snapshot ids, time travel and recorded writes over a pyiceberg catalog.

    Pass a loaded pyiceberg catalog, or ``uri`` (a SQLAlchemy URL for a SQL
    catalog, an http(s) URL for a REST one) and ``warehouse``, or nothing to
    load catalog ``name`` from pyiceberg's own configuration (``.pyiceberg.yaml``
    or ``PYICEBERG_CATALOG__<NAME>__*`` variables)."""

    def __init__(self, catalog: Any = None, *, name: str = "default", uri: str | None = None,
                 warehouse: str | None = None, **properties: Any) -> None:
        if catalog is None:
            pyiceberg_catalog = require("pyiceberg.catalog", "iceberg")
            props = {k: str(v) for k, v in properties.items()}
            if uri:
                props["uri"] = uri
                if not uri.startswith(("http://", "https://", "thrift://")):
                    props.setdefault("type", "sql")
            if warehouse:
                props["warehouse"] = warehouse
            catalog = pyiceberg_catalog.load_catalog(name, **props)
        self.catalog = catalog

    @classmethod
    def from_settings(cls, settings: Any) -> "IcebergCatalog":
        """The catalog named by ``LINEAGE_ICEBERG_CATALOG``/``_URI``/``_WAREHOUSE``."""
        return cls(name=settings["LINEAGE_ICEBERG_CATALOG"], uri=settings["LINEAGE_ICEBERG_URI"] or None,
                   warehouse=settings["LINEAGE_ICEBERG_WAREHOUSE"] or None)

    # -- reading -------------------------------------------------------------------

    def table(self, namespace: str, table: str) -> Any:
        exceptions = require("pyiceberg.exceptions", "iceberg")
        try:
            return self.catalog.load_table((*namespace.split("."), table))
        except (exceptions.NoSuchTableError, exceptions.NoSuchNamespaceError):
            raise NotFound(f"Iceberg table {namespace}.{table} does not exist in catalog "
                           f"{self.catalog.name!r}; check the namespace and table name") from None

    def get_snapshot_id(self, namespace: str, table: str) -> int | None:
        """The table's current snapshot id (None for a table never written)."""
        snapshot = self.table(namespace, table).current_snapshot()
        return None if snapshot is None else snapshot.snapshot_id

    def snapshots(self, namespace: str, table: str) -> list[dict[str, Any]]:
        """Every snapshot of the table, oldest first: id, parent, time, operation, record count."""
        out = []
        for s in sorted(self.table(namespace, table).snapshots(), key=lambda s: s.timestamp_ms):
            summary = s.summary.additional_properties if s.summary else {}
            out.append({"snapshot_id": s.snapshot_id, "parent_id": s.parent_snapshot_id,
                        "timestamp_ms": s.timestamp_ms,
                        "operation": s.summary.operation.value if s.summary else None,
                        "total_records": int(summary["total-records"]) if "total-records" in summary else None})
        return out

    def _snapshot(self, tbl: Any, namespace: str, table: str, snapshot: Any) -> Any:
        if snapshot is None or str(snapshot) == LATEST:
            return tbl.current_snapshot()
        found = tbl.snapshot_by_id(_snapshot_id(snapshot))
        if found is None:
            known = ", ".join(str(s.snapshot_id) for s in tbl.snapshots()) or "none"
            raise NotFound(f"table {namespace}.{table} has no snapshot {snapshot} (it may have been expired); "
                           f"its snapshots: {known}")
        return found

    def schema_at(self, namespace: str, table: str, snapshot: Any = LATEST) -> list[tuple[str, str]]:
        """(column, type) of the table as of a snapshot, without reading rows."""
        tbl = self.table(namespace, table)
        snap = self._snapshot(tbl, namespace, table, snapshot)
        return _columns(self._schema(tbl, snap))

    @staticmethod
    def _schema(tbl: Any, snap: Any) -> Any:
        if snap is not None and snap.schema_id is not None:
            return tbl.schemas()[snap.schema_id]
        return tbl.schema()

    def time_travel(self, namespace: str, table: str, snapshot: Any = LATEST, *,
                    columns: Iterable[str] | None = None, row_filter: str | None = None) -> TableVersion:
        """The table as it was at ``snapshot`` (an id, or ``'latest'``), with its schema then."""
        tbl = self.table(namespace, table)
        snap = self._snapshot(tbl, namespace, table, snapshot)
        schema = self._schema(tbl, snap)
        kwargs: dict[str, Any] = {}
        if columns is not None:
            kwargs["selected_fields"] = tuple(columns)
        if row_filter:
            kwargs["row_filter"] = row_filter
        if snap is None:
            pyarrow = require("pyarrow", "iceberg")
            data = schema.as_arrow().empty_table() if hasattr(schema, "as_arrow") else pyarrow.table({})
        else:
            data = tbl.scan(snapshot_id=snap.snapshot_id, **kwargs).to_arrow()
        return TableVersion(dataset_id(namespace, table), None if snap is None else snap.snapshot_id,
                            None if snap is None else snap.timestamp_ms, _columns(schema), data)

    def dataset(self, namespace: str, table: str, snapshot: Any = LATEST, *, layer: str | None = None) -> DatasetSpec:
        """The table pinned to a snapshot (the current one by default), with its schema, for
        ``record_pipeline_execution`` or ``record_model_training`` inputs and outputs."""
        tbl = self.table(namespace, table)
        snap = self._snapshot(tbl, namespace, table, snapshot)
        return DatasetSpec(dataset_id(namespace, table), None if snap is None else str(snap.snapshot_id),
                           layer=layer, schema=_columns(self._schema(tbl, snap)))

    # -- writing -------------------------------------------------------------------

    def record_snapshot(self, target: Any, namespace: str, table: str, *, layer: str | None = None,
                        snapshot: Any = LATEST) -> dict[str, Any]:
        """Declare the table in the graph at a snapshot: its version and schema.
        ``target`` is a ``JanusGraphClient``, a ``LineageStore`` or a recorder."""
        rec = recorder_of(target)
        return rec.emit([rec.builder.dataset_event(self.dataset(namespace, table, snapshot, layer=layer))])

    def append(self, target: Any, namespace: str, table: str, data: Any, *, pipeline_id: str,
               pipeline_version: Any = None, inputs: Iterable[DatasetSpec | str] = (),
               layer: str | None = None, overwrite: bool = False) -> int:
        """Write ``data`` (a pyarrow table) to the table and record the run that wrote
        it, its output pinned to the snapshot the write produced; returns that id."""
        tbl = self.table(namespace, table)
        (tbl.overwrite if overwrite else tbl.append)(data)
        snapshot_id = tbl.current_snapshot().snapshot_id
        recorder_of(target).record_pipeline_execution(
            pipeline_id, pipeline_version, list(inputs),
            [self.dataset(namespace, table, snapshot_id, layer=layer)])
        return snapshot_id


def compare_schemas(before: Any, after: Any) -> dict[str, Any]:
    """Schema drift and row-count change between two reads (``TableVersion`` or pyarrow tables).

    ``added``/``removed`` list columns by name and type, ``type_changed`` those whose
    type differs; ``drift`` is true when any of the three is non-empty."""
    def parts(v: Any) -> tuple[list[tuple[str, str]], int | None, Any]:
        if isinstance(v, TableVersion):
            return v.schema, v.row_count, v.snapshot_id
        if hasattr(v, "schema") and hasattr(v, "num_rows"):
            return _columns(v.schema), int(v.num_rows), None
        raise InvalidArgument(f"compare_schemas takes two TableVersions or pyarrow tables; got "
                              f"{type(v).__name__}")
    old, old_rows, old_snap = parts(before)
    new, new_rows, new_snap = parts(after)
    old_types, new_types = dict(old), dict(new)
    added = [{"name": n, "type": t} for n, t in new if n not in old_types]
    removed = [{"name": n, "type": t} for n, t in old if n not in new_types]
    changed = [{"name": n, "from": old_types[n], "to": t} for n, t in new if n in old_types and old_types[n] != t]
    change = None if old_rows is None or new_rows is None else new_rows - old_rows
    return {
        "before_snapshot": old_snap, "after_snapshot": new_snap,
        "added": added, "removed": removed, "type_changed": changed,
        "drift": bool(added or removed or changed),
        "rows_before": old_rows, "rows_after": new_rows, "row_change": change,
        "row_change_pct": (round(100.0 * change / old_rows, 2) if change is not None and old_rows else None),
    }


def model_data_drift(lineage: Any, catalog: IcebergCatalog, model_name: str, version: Any = None) -> dict[str, Any]:
    """The model-degradation check: for each Iceberg table a model version was trained
    on, read the snapshot it was trained on and the latest, and compare them.

    ``lineage`` is a ``JanusGraphClient`` or a ``LineageAnalysis``. Inputs that are not
    pinned to a snapshot, or are not tables of this catalog, are listed, not compared."""
    get = getattr(lineage, "get_model_training_lineage", None) or lineage.model_training_lineage
    found = get(model_name, version)
    model = found["model"]
    report: dict[str, Any] = {"model_id": model["id"], "model_name": model.get("model_name") or model_name,
                              "version": model.get("version"), "datasets": [], "unpinned": [],
                              "not_in_catalog": []}
    for ds in found["training_datasets"]:
        try:
            namespace, table = table_of(ds["id"])
            catalog.table(namespace, table)
        except (InvalidArgument, NotFound):
            report["not_in_catalog"].append(ds["id"])
            continue
        if not ds.get("version"):
            report["unpinned"].append(ds["id"])
            continue
        then = catalog.time_travel(namespace, table, ds["version"])
        now = catalog.time_travel(namespace, table, LATEST)
        report["datasets"].append({"dataset_id": ds["id"], "trained_on_snapshot": then.snapshot_id,
                                   "latest_snapshot": now.snapshot_id, **compare_schemas(then, now)})
    report["drift"] = any(d["drift"] for d in report["datasets"])
    return report
