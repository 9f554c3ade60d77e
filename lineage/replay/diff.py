"""What differs between a recorded output and a replayed one: row counts, columns
added, removed or changed, and a few rows that differ."""

from __future__ import annotations

import json
from typing import Any

from ..capture.fingerprint import is_tabular

SAMPLE_ROWS = 5


def _frame(data: Any) -> Any:
    import pandas as pd
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    if hasattr(data, "to_pandas"):
        return data.to_pandas()
    if hasattr(data, "df"):
        return data.df()
    return None


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str))


def summarise(recorded: Any, replayed: Any) -> dict[str, Any]:
    """A JSON-safe summary; ``recorded`` may be None when the recorded data was not kept."""
    out: dict[str, Any] = {"changedColumns": [], "addedColumns": [], "removedColumns": [], "sampleRows": []}
    if not is_tabular(replayed):
        return out
    new = _frame(replayed)
    out["rowsReplayed"] = int(len(new))
    if recorded is None or not is_tabular(recorded) or new is None:
        return out
    old = _frame(recorded)
    out["rowsRecorded"] = int(len(old))
    out["addedColumns"] = [c for c in new.columns if c not in old.columns]
    out["removedColumns"] = [c for c in old.columns if c not in new.columns]
    common = [c for c in old.columns if c in new.columns]
    n = min(len(old), len(new))
    changed, rows = [], set()
    for c in common:
        a, b = old[c].iloc[:n], new[c].iloc[:n]
        differs = ~((a == b) | (a.isna() & b.isna()))
        if differs.any() or len(old) != len(new):
            changed.append(c)
        rows.update(int(i) for i in differs[differs].index[:SAMPLE_ROWS])
    out["changedColumns"] = changed
    for i in sorted(rows)[:SAMPLE_ROWS]:
        out["sampleRows"].append({"row": i, "recorded": _records(old.iloc[[i]][common])[0],
                                  "replayed": _records(new.iloc[[i]][common])[0]})
    return out
