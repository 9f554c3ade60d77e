"""lineage doctor on the embedded default, a live Gremlin Server, and an unreachable Cassandra."""

import socket


from lineage import _model as m
from lineage._cli import main


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket closes


def test_healthy_backend(settings, store, monkeypatch, capsys):
    store.ingest([])
    for key, value in settings.values.items():
        monkeypatch.setenv(key, str(value))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    if settings.gremlin_url:
        assert "✓ gremlin server" in out and f"✓ schema: {len(m.IDENTITY) + 1} unique indexes ENABLED" in out   # and Event's
    else:
        assert "✓ embedded graph" in out and "events logged" in out


def test_unreachable_cassandra_says_what_to_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LINEAGE_DB", str(tmp_path / "x.db"))
    monkeypatch.delenv("LINEAGE_GREMLIN_URL", raising=False)
    monkeypatch.setenv("LINEAGE_CASSANDRA_HOSTS", "127.0.0.1")
    port = closed_port()
    monkeypatch.setenv("LINEAGE_CASSANDRA_PORT", str(port))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert f"✗ cassandra: cannot reach Cassandra at 127.0.0.1 (port {port})" in out
    assert "fix: check LINEAGE_CASSANDRA_HOSTS" in out and f"port {port} is open" in out
    assert main(["doctor", "--wait", "1"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("waiting for Cassandra at 127.0.0.1") and "gave up after 1s" in out
    assert main(["doctor", "--create-keyspace"]) == 1
    assert "create keyspace: cannot reach Cassandra" in capsys.readouterr().out


def test_unreachable_gremlin_server(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LINEAGE_GREMLIN_URL", f"ws://127.0.0.1:{closed_port()}/gremlin")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "✗ gremlin server" in out and "did not answer" in out and "fix:" in out
