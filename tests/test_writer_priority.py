"""LINEAGE_WRITER_NICENESS: the writer thread runs at a lower OS priority than the
rest of the serving process, and still writes."""

import os
import sys
import threading

import pytest

from conftest import food_delivery
from lineage import ConfigurationError, LineageStore, Settings
from lineage._events import parse_event
from lineage._server.worker import WriteWorker

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")


@linux_only
def test_the_writer_thread_alone_runs_nicer_and_its_writes_are_durable(tmp_path):
    settings = Settings.from_env({}, db=str(tmp_path / "lineage.db"))
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    worker = WriteWorker(lambda: LineageStore(settings), 500, niceness=5)
    try:
        [writer] = worker._threads
        assert os.getpriority(os.PRIO_PROCESS, writer.native_id) == min(19, mine + 5)
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine   # the caller keeps its own
        events = [parse_event(e) for e in food_delivery()]
        assert all(worker.submit_sync(events).fresh)
        assert not any(worker.submit_sync(events).fresh)   # durable: a re-send is a duplicate
    finally:
        worker.close()
    with LineageStore(settings) as store:
        assert store.graph.count("Run") > 0


def test_the_niceness_setting_is_bounded_and_says_so(tmp_path):
    assert Settings.from_env({"LINEAGE_WRITER_NICENESS": "10"})["LINEAGE_WRITER_NICENESS"] == 10
    with pytest.raises(ConfigurationError, match="LINEAGE_WRITER_NICENESS.*between 0 and 19"):
        Settings.from_env({"LINEAGE_WRITER_NICENESS": "20"})
