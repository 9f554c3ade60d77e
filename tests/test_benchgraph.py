"""The query benchmark writes its graph as gremlite rows directly (scripts/benchgraph.py):
that file must hold exactly the graph the SQL writer makes from the same DAG, read
through SQL and through gremlite's own Gremlin, with the same node records and
lineage edge table."""

import sys

from conftest import REPO


def test_rows_written_directly_equal_the_writers_graph(capsys):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import benchgraph
    finally:
        sys.path.remove(str(REPO / "scripts"))
    assert benchgraph.check(600) == 0
    assert "writer and rows agree" in capsys.readouterr().out
