"""Data fingerprints: stable, meaningful, and the same whichever library holds the data."""

import hashlib
import io
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from lineage import fingerprint
from lineage.capture.fingerprint import fingerprint_file, fingerprint_table


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 2, 3, 4],
        "name": ["ann", "bob", None, "dan"],
        "score": [0.5, -0.0, float("nan"), 2.25],
        "at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", None]),
        "ok": [True, False, True, None],
    })


def test_bytes_and_files_are_sha256_of_the_content(tmp_path):
    data = b"hello lineage\n" * 100_000
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    expected = "sha256:" + hashlib.sha256(data).hexdigest()
    assert fingerprint(data).value == expected
    assert fingerprint_file(path).value == expected and fingerprint_file(path).bytes == len(data)
    assert fingerprint(str(path)).value == expected
    assert fingerprint(io.BytesIO(data)).value == expected


def test_a_directory_is_its_files_by_relative_path(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.csv").write_text("1,2\n")
    (tmp_path / "y.csv").write_text("3,4\n")
    first = fingerprint(tmp_path)
    (tmp_path / "y.csv").write_text("3,5\n")
    assert fingerprint(tmp_path).value != first.value
    assert first.value.startswith("sha256-tree:")


def test_row_order_counts_by_default_and_not_when_asked(frame):
    shuffled = frame.sample(frac=1, random_state=7)
    assert not shuffled.index.equals(frame.index)
    assert fingerprint(frame).value != fingerprint(shuffled).value
    a = fingerprint(frame, order_independent=True)
    b = fingerprint(shuffled, order_independent=True)
    assert a.value == b.value and a.value.startswith("rowset-v1:") and a.order_independent
    assert (a.rows, b.rows) == (4, 4)


@pytest.mark.parametrize("order_independent", [False, True])
def test_a_changed_cell_changes_the_fingerprint(frame, order_independent):
    before = fingerprint(frame, order_independent=order_independent).value
    for column, value in (("id", 5), ("name", "bea"), ("score", 0.25), ("ok", True)):
        changed = frame.copy()
        changed.loc[1, column] = value
        assert fingerprint(changed, order_independent=order_independent).value != before, column
    nulled = frame.copy()
    nulled.loc[0, "name"] = None
    assert fingerprint(nulled, order_independent=order_independent).value != before


def test_schema_is_part_of_the_fingerprint(frame):
    base = fingerprint(frame).value
    assert fingerprint(frame.rename(columns={"id": "key"})).value != base
    assert fingerprint(frame.astype({"id": "float64"})).value != base
    # column order is not: columns are matched by name
    assert fingerprint(frame[list(reversed(frame.columns))]).value == base
    # integer width is not: the same values in int32 are the same data
    assert fingerprint(frame.astype({"id": "int32"})).value == base


def test_duplicate_rows_count_in_the_order_independent_form():
    once = pd.DataFrame({"a": [1, 2]})
    twice = pd.DataFrame({"a": [1, 2, 2]})
    assert fingerprint(once, order_independent=True).value != fingerprint(twice, order_independent=True).value


def test_pandas_pyarrow_and_duckdb_agree(frame):
    table = pa.Table.from_pandas(frame, preserve_index=False)
    conn = duckdb.connect()
    conn.register("frame", frame)
    relation = conn.sql("SELECT * FROM frame")
    expected = fingerprint(frame).value
    assert fingerprint(table).value == expected
    assert fingerprint(relation).value == expected
    assert fingerprint(table.to_reader()).value == expected
    conn.execute("CREATE TABLE t AS SELECT * FROM frame")
    assert fingerprint(conn.table("t"), order_independent=True).value == \
        fingerprint(frame, order_independent=True).value


def test_batching_does_not_change_the_fingerprint():
    table = pa.table({"k": list(range(10_000)), "v": [f"value {i % 97}" for i in range(10_000)]})
    for unordered in (False, True):
        whole = fingerprint_table(table, order_independent=unordered, batch_rows=1_000_000).value
        assert fingerprint_table(table, order_independent=unordered, batch_rows=333).value == whole
        assert fingerprint_table(pa.concat_tables([table.slice(0, 17), table.slice(17)]),
                                 order_independent=unordered).value == whole


def test_the_fingerprint_is_the_same_in_another_process(frame):
    here = fingerprint(frame).value
    code = ("import pandas as pd; from lineage import fingerprint; "
            "f = pd.DataFrame({'id': [1, 2, 3, 4], 'name': ['ann', 'bob', None, 'dan'], "
            "'score': [0.5, -0.0, float('nan'), 2.25], "
            "'at': pd.to_datetime(['2024-01-01', '2024-01-02', '2024-01-03', None]), "
            "'ok': [True, False, True, None]}); print(fingerprint(f).value)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""}).stdout.strip()
    assert out == here


def test_values_that_differ_only_in_representation_agree():
    a = pd.DataFrame({"x": [0.0, float("nan")]})
    b = pd.DataFrame({"x": [-0.0, float("nan")]})
    assert fingerprint(a).value == fingerprint(b).value


def test_nested_and_decimal_columns_are_fingerprinted():
    import decimal
    t1 = pa.table({"d": pa.array([decimal.Decimal("1.10"), None]), "l": [[1, 2], [3]]})
    t2 = pa.table({"d": pa.array([decimal.Decimal("1.10"), None]), "l": [[1, 2], [4]]})
    assert fingerprint(t1).value != fingerprint(t2).value


def test_what_cannot_be_fingerprinted_says_what_can():
    with pytest.raises(TypeError, match="pandas DataFrame"):
        fingerprint(object())


def test_nanosecond_timestamps_agree_with_microseconds_and_keep_their_nanoseconds():
    import datetime as dt
    micro = pa.table({"t": pa.array([dt.datetime(2024, 1, 1, 0, 0, 0, 5)], pa.timestamp("us"))})
    nano = micro.cast(pa.schema([("t", pa.timestamp("ns"))]))
    assert fingerprint(nano).value == fingerprint(micro).value
    finer = pa.table({"t": pa.array([nano.column("t")[0].value + 1], pa.timestamp("ns"))})
    assert fingerprint(finer).value != fingerprint(nano).value
    mixed = pa.concat_tables([nano, finer])
    assert fingerprint_table(mixed, batch_rows=1).value == fingerprint_table(mixed).value
