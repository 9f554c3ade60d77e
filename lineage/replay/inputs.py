"""The input store: data a step read or wrote, kept by its fingerprint.

Capture keeps each fingerprinted table (pandas, pyarrow, DuckDB) as Parquet
and each byte string or file as its bytes, under ``<dir>/inputs``, so replay
can hand a step exactly what it saw. The store is capped at
``LINEAGE_REPLAY_INPUT_MAX_BYTES``: the least recently written entries go
first, and data larger than the cap is not kept. When a fingerprint is not
there, replay asks the user's loader (``loader(dataset_id, fingerprint)``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..capture.fingerprint import is_tabular

_KINDS = {".pandas.parquet": "pandas", ".arrow.parquet": "arrow", ".bytes": "bytes", ".file": "file"}


def _safe(fp: str) -> str:
    scheme, _, rest = fp.partition(":")
    return f"{scheme}-{rest}" if rest and rest.isalnum() else ""


class InputStore:
    def __init__(self, directory: str | os.PathLike[str], max_bytes: int) -> None:
        self.root = Path(directory) / "inputs"
        self.max_bytes = max_bytes
        self._total: int | None = None  # bytes on disk, counted once, then kept up to date

    def _find(self, fp: str) -> Path | None:
        name = _safe(fp)
        if not name:
            return None
        for ext in _KINDS:
            path = self.root / (name + ext)
            if path.exists():
                return path
        return None

    def __contains__(self, fp: str) -> bool:
        return self._find(fp) is not None

    def put(self, fp: str, data: Any) -> bool:
        """Keep ``data`` under its fingerprint ``fp``; False when it is not kept (too big, not data)."""
        name = _safe(fp)
        if self.max_bytes <= 0 or not name or self._find(fp) is not None:
            return False
        if is_tabular(data):
            import pyarrow as pa
            import pyarrow.parquet as pq
            kind = ".pandas.parquet" if type(data).__module__.startswith("pandas") else ".arrow.parquet"
            if kind == ".pandas.parquet":
                table = pa.Table.from_pandas(data, preserve_index=False)
            elif isinstance(data, pa.Table):
                table = data
            else:  # a DuckDB relation, or anything else with an Arrow form
                table = data.arrow() if hasattr(data, "arrow") else pa.table(data)
            if table.nbytes > self.max_bytes:
                return False
            write = lambda path: pq.write_table(table, path)  # noqa: E731
        elif isinstance(data, (bytes, bytearray, memoryview)):
            kind, blob = ".bytes", bytes(data)
            if len(blob) > self.max_bytes:
                return False
            write = lambda path: Path(path).write_bytes(blob)  # noqa: E731
        elif isinstance(data, (str, os.PathLike)) and os.path.isfile(data):
            if os.path.getsize(data) > self.max_bytes:
                return False
            kind, blob = ".file", Path(data).read_bytes()
            write = lambda path: Path(path).write_bytes(blob)  # noqa: E731
        else:
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        os.close(fd)
        write(tmp)
        target = self.root / (name + kind)
        os.replace(tmp, target)
        self._evict(keep=target)
        return True

    def _evict(self, keep: Path) -> None:
        """Drop the oldest entries while over the cap; the folder is listed only then."""
        if self._total is None:
            self._total = self.size()
        else:
            self._total += keep.stat().st_size
        if self._total <= self.max_bytes:
            return
        entries = [(p.stat().st_mtime_ns, p) for p in self.root.iterdir() if not p.name.endswith(".tmp")]
        total = sum(p.stat().st_size for _, p in entries)
        for _, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if path != keep:
                total -= path.stat().st_size
                path.unlink(missing_ok=True)
        self._total = total

    def get(self, fp: str) -> Any:
        """The data kept under ``fp`` in the form it was captured in (a file comes back as a path)."""
        path = self._find(fp)
        if path is None:
            raise KeyError(fp)
        kind = next(k for ext, k in _KINDS.items() if path.name.endswith(ext))
        if kind in ("pandas", "arrow"):
            import pyarrow.parquet as pq
            table = pq.read_table(path)
            return table.to_pandas() if kind == "pandas" else table
        if kind == "bytes":
            return path.read_bytes()
        return str(path)

    def size(self) -> int:
        if not self.root.exists():
            return 0
        return sum(p.stat().st_size for p in self.root.iterdir() if not p.name.endswith(".tmp"))
