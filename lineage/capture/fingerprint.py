"""Data fingerprints: what a step read and wrote, as short stable strings.

Two kinds, both stable across processes, machines and library versions
because every hash here is a documented function of the data, never a
library's internal hash:

``sha256:<hex>`` (bytes, files, byte streams)
    SHA-256 of the content, read in 1 MiB chunks, so a file of any size is
    hashed in constant memory; equal to ``hashlib.sha256(content)``.

``table-v1:<hex>`` and ``rowset-v1:<hex>`` (pandas, pyarrow, DuckDB)
    A hash of the schema plus the rows. Every input is turned into Arrow record
    batches (pandas column by column, without the index,
    DuckDB relations through their Arrow stream, so a DuckDB table is never
    loaded whole) and each row gets a 64-bit hash:

    * each cell is hashed by kind: integers of any width, signed or not, and
      booleans (a kind of their own) as a 64-bit integer; floats as float64,
      with ``-0.0`` made ``0.0`` and every NaN the same NaN; dates and times as
      integers in their unit (a nanosecond timestamp as its microseconds,
      remixed with the nanoseconds when there are any, so pandas, pyarrow and
      DuckDB agree); strings (as UTF-8) and binaries by a tabulation hash of
      their bytes (the sum over positions of splitmix64(byte | position << 8),
      positions past 255 remixed, then mixed with the length), computed for a
      whole column at once; anything else (decimals, lists, structs) by
      BLAKE2b of its canonical JSON; a null is a fixed value per column;
    * a cell's hash is mixed with its column's name and kind (splitmix64), and
      the row's hash is the sum of its cells' (so columns are matched by name
      and their order does not count).

    ``table-v1`` (the default) depends on row order: it is BLAKE2b over the
    schema, the row count and the row hashes in order. ``rowset-v1``
    (``order_independent=True``) does not: it combines the row hashes with two
    independent sums modulo 2**64 (a multiset hash: duplicate rows count), so
    the same rows in any order, or in any batching, give the same value. Use
    it for SQL results and anything without a defined order; use the default
    where order is part of the data (a time series, a ranked list).

    The schema part is the sorted list of ``(column name, kind)``, so an
    ``int32`` column and an ``int64`` column holding the same values agree,
    and a renamed or retyped column does not.

Cost: measured by ``scripts/bench_fingerprint.py`` beside ``hashlib.sha256``
over the same bytes (the README has the figures).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CHUNK = 1 << 20
_MASK = (1 << 64) - 1
_NULL = np.uint64(0x9E3779B97F4A7C15)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Fingerprint:
    """A fingerprint and the volume it covers (``rows`` is None for bytes)."""

    value: str
    rows: int | None = None
    bytes: int | None = None
    order_independent: bool = False
    columns: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def algorithm(self) -> str:
        return self.value.partition(":")[0]

    def __str__(self) -> str:
        return self.value


# -- bytes and files -----------------------------------------------------------


def fingerprint_bytes(data: bytes | bytearray | memoryview) -> Fingerprint:
    view = memoryview(data)
    return Fingerprint("sha256:" + hashlib.sha256(view).hexdigest(), bytes=view.nbytes)


def fingerprint_stream(stream: BinaryIO) -> Fingerprint:
    """Hash a binary stream to its end, in 1 MiB chunks."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return Fingerprint("sha256:" + digest.hexdigest(), bytes=size)


def fingerprint_file(path: str | os.PathLike[str]) -> Fingerprint:
    with open(path, "rb") as stream:
        return fingerprint_stream(stream)


# -- tables --------------------------------------------------------------------


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised (wraps modulo 2**64 by design)."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


_BYTE_TABLE = _mix(np.arange(1 << 16, dtype=np.uint64))  # index: (position mod 256) << 8 | byte


def _blake64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _kind(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or t == pa.string_view():
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) \
            or t == pa.binary_view():
        return "binary"
    if pa.types.is_timestamp(t):  # nanoseconds hash as microseconds plus a remainder
        unit = "us" if t.unit == "ns" else t.unit
        return f"timestamp[{unit}{',' + t.tz if t.tz else ''}]"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_time(t):
        return f"time[{t.unit}]"
    if pa.types.is_duration(t):
        return f"duration[{t.unit}]"
    if pa.types.is_dictionary(t):
        return _kind(t.value_type)
    return f"json:{t}"


def _normalise(column: pa.Array) -> pa.Array:
    """Arrow arrays whose kind is stable across the libraries that produce them."""
    if pa.types.is_dictionary(column.type):
        return column.dictionary_decode()
    return column


def _cell_hashes(column: pa.Array, kind: str) -> np.ndarray:
    """One uint64 per cell (nulls included, as a placeholder the caller replaces)."""
    n = len(column)
    if kind in ("int", "bool"):
        if column.type == pa.uint64():  # same bits as int64 below 2**63, no overflow above
            column = column.view(pa.int64())
        values = pc.fill_null(column.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        return values.astype(np.int64, copy=False).view(np.uint64)
    if kind == "float":
        values = pc.fill_null(column.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False).astype(np.float64)
        values = np.where(values == 0.0, 0.0, values)
        values = np.where(np.isnan(values), np.nan, values)
        return values.view(np.uint64)
    if kind.startswith(("timestamp", "date", "time", "duration")):
        width = pa.int32() if column.type.bit_width == 32 else pa.int64()
        values = pc.fill_null(column.view(width).cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        values = values.astype(np.int64, copy=False)
        if pa.types.is_timestamp(column.type) and column.type.unit == "ns":
            micros, rest = np.divmod(values, 1000)
            cells = micros.view(np.uint64).copy()
            extra = rest != 0
            if extra.any():
                with np.errstate(over="ignore"):
                    cells[extra] = _mix(cells[extra] ^ (rest[extra].astype(np.uint64) * _GOLDEN))
            return cells
        return values.view(np.uint64)
    if kind in ("string", "binary"):
        return _bytes_hashes(column)
    return np.fromiter((_blake64(json.dumps(v, sort_keys=True, default=str).encode()) for v in column.to_pylist()),
                       dtype=np.uint64, count=n)


def _bytes_hashes(column: pa.Array) -> np.ndarray:
    """Per-cell tabulation hash of variable-length bytes, vectorised: the sum over byte
    positions p of T[p mod 256, byte] (T = splitmix64(byte | (p mod 256) << 8), a table
    looked up rather than recomputed; from byte 256 on, remixed with p // 256), then
    mixed with the length."""
    t = column.type
    if t == pa.string_view() or pa.types.is_string(t):
        column = column.cast(pa.large_string())
    elif t == pa.binary_view() or pa.types.is_fixed_size_binary(t) or pa.types.is_binary(t):
        column = column.cast(pa.large_binary())
    n = len(column)
    _validity, offsets_buf, data_buf = column.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[column.offset:column.offset + n + 1]
    first, last = int(offsets[0]), int(offsets[-1])
    lengths = np.diff(offsets)
    starts = offsets[:-1] - first
    sums = np.zeros(n, dtype=np.uint64)
    if last > first:
        data = np.frombuffer(data_buf, dtype=np.uint8)[first:last]
        position = np.arange(last - first, dtype=np.int64) - np.repeat(starts, lengths)
        cells = _BYTE_TABLE[(position.astype(np.uint16) << np.uint16(8)) | data]  # uint16 keeps p mod 256
        far = position >= 256
        if far.any():  # past 256 bytes the position's high part is mixed in too
            with np.errstate(over="ignore"):
                cells[far] = _mix(cells[far] ^ ((position[far] >> 8).astype(np.uint64) * _GOLDEN))
        filled = lengths > 0
        sums[filled] = np.add.reduceat(cells, starts[filled])
    with np.errstate(over="ignore"):
        return _mix(sums ^ _mix(lengths.astype(np.uint64) + _GOLDEN))


def _row_hashes(batch: pa.RecordBatch, kinds: dict[str, str], seeds: dict[str, np.uint64]) -> np.ndarray:
    rows = np.zeros(batch.num_rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for name, column in zip(batch.schema.names, batch.columns):
            column = _normalise(column)
            cells = _cell_hashes(column, kinds[name])
            if column.null_count:
                valid = column.is_valid().to_numpy(zero_copy_only=False)
                cells = np.where(valid, cells, _NULL)
            rows += _mix(_mix(cells + seeds[name]) ^ seeds[name])
    return rows


def _batches(data: Any, batch_rows: int) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """Arrow record batches of any supported tabular value, streamed where the source allows."""
    if isinstance(data, pa.Table):
        return data.schema, iter(data.to_batches(max_chunksize=batch_rows))
    if isinstance(data, pa.RecordBatch):
        return data.schema, iter([data])
    if isinstance(data, pa.RecordBatchReader):
        return data.schema, iter(data)
    module = type(data).__module__
    if module.startswith("pandas"):
        import pandas as pd
        frame = data.to_frame() if isinstance(data, pd.Series) else data
        # column by column: cheaper than Table.from_pandas, which also builds pandas metadata
        table = pa.Table.from_arrays([pa.array(frame.iloc[:, i], from_pandas=True) for i in range(frame.shape[1])],
                                     names=[str(c) for c in frame.columns])
        return table.schema, iter(table.to_batches(max_chunksize=batch_rows))
    if module.startswith("duckdb"):
        reader = data.to_arrow_reader(batch_rows) if hasattr(data, "to_arrow_reader") \
            else data.fetch_record_batch(batch_rows)
        return reader.schema, iter(reader)
    if hasattr(data, "__arrow_c_stream__"):
        reader = pa.RecordBatchReader.from_stream(data)
        return reader.schema, iter(reader)
    raise TypeError(f"cannot fingerprint a {type(data).__name__} as a table; pass a pandas DataFrame, "
                    "a pyarrow Table or RecordBatchReader, or a DuckDB relation")


def is_tabular(data: Any) -> bool:
    if isinstance(data, (pa.Table, pa.RecordBatch, pa.RecordBatchReader)):
        return True
    module = type(data).__module__
    name = type(data).__name__
    return (module.startswith("pandas") and name in ("DataFrame", "Series")) or \
        (module.startswith("duckdb") and name == "DuckDBPyRelation")


def fingerprint_table(data: Any, *, order_independent: bool = False, batch_rows: int = 65536) -> Fingerprint:
    """Fingerprint of tabular data (see the module documentation for the definition)."""
    schema, batches = _batches(data, batch_rows)
    kinds = {name: _kind(_normalise(pa.array([], type=t)).type) for name, t in zip(schema.names, schema.types)}
    if len(kinds) != len(schema.names):
        raise ValueError(f"column names must be unique to fingerprint a table; got {schema.names}")
    seeds = {name: np.uint64(_blake64(f"{name}\x1f{kind}".encode())) for name, kind in kinds.items()}
    columns = tuple(sorted(kinds.items()))
    ordered = hashlib.blake2b(digest_size=16)
    sum_a = sum_b = 0
    rows = size = 0
    for batch in batches:
        hashes = _row_hashes(batch, kinds, seeds)
        rows += batch.num_rows
        size += batch.nbytes
        if order_independent:
            with np.errstate(over="ignore"):
                sum_a = (sum_a + int(hashes.sum(dtype=np.uint64))) & _MASK
                sum_b = (sum_b + int(_mix(hashes ^ _GOLDEN).sum(dtype=np.uint64))) & _MASK
        else:
            ordered.update(hashes.astype("<u8", copy=False).tobytes())
    head = json.dumps({"columns": columns, "rows": rows}, separators=(",", ":")).encode()
    if order_independent:
        final = hashlib.blake2b(head + sum_a.to_bytes(8, "little") + sum_b.to_bytes(8, "little"), digest_size=16)
        return Fingerprint("rowset-v1:" + final.hexdigest(), rows, size, True, columns)
    final = hashlib.blake2b(head + ordered.digest(), digest_size=16)
    return Fingerprint("table-v1:" + final.hexdigest(), rows, size, False, columns)


# -- anything ------------------------------------------------------------------


def fingerprint(data: Any, *, order_independent: bool = False) -> Fingerprint:
    """The fingerprint of a value: tables by content, bytes and files by SHA-256.

    A ``str`` or ``Path`` naming an existing file is that file's content; a
    directory is the hash of its files' relative paths and fingerprints.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        return fingerprint_bytes(data)
    if isinstance(data, (str, os.PathLike)) and Path(data).is_file():
        return fingerprint_file(data)
    if isinstance(data, (str, os.PathLike)) and Path(data).is_dir():
        return _fingerprint_dir(Path(data))
    if is_tabular(data) or hasattr(data, "__arrow_c_stream__"):
        return fingerprint_table(data, order_independent=order_independent)
    if hasattr(data, "read"):
        return fingerprint_stream(data)
    raise TypeError(f"cannot fingerprint a {type(data).__name__}; pass bytes, a file path, a binary stream, "
                    "a pandas DataFrame, a pyarrow Table or a DuckDB relation")


def _fingerprint_dir(root: Path) -> Fingerprint:
    digest, size = hashlib.sha256(), 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        fp = fingerprint_file(path)
        size += fp.bytes or 0
        digest.update(f"{path.relative_to(root).as_posix()}\x1f{fp.value}\n".encode())
    return Fingerprint("sha256-tree:" + digest.hexdigest(), bytes=size)


def volume(data: Any) -> tuple[int | None, int | None]:
    """Rows and bytes without hashing (what can be had cheaply; a DuckDB relation's rows
    would need the query run, so they are None)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return None, memoryview(data).nbytes
    if isinstance(data, (str, os.PathLike)):
        return None, os.path.getsize(data) if os.path.isfile(data) else None
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        return data.num_rows, data.nbytes
    if type(data).__module__.startswith("pandas"):
        usage = data.memory_usage(index=False)
        return len(data), int(usage.sum() if hasattr(usage, "sum") else usage)
    return None, None


def can_fingerprint(data: Any) -> bool:
    return isinstance(data, (bytes, bytearray, memoryview)) or is_tabular(data) or \
        (isinstance(data, (str, os.PathLike)) and _exists(data))


def _exists(path: str | os.PathLike[str]) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


__all__ = ["Fingerprint", "fingerprint", "fingerprint_bytes", "fingerprint_file", "fingerprint_stream",
           "fingerprint_table", "is_tabular", "can_fingerprint", "volume"]
