"""The merge rules make projection independent of event order."""

import itertools
import random

from lineage._model import merge_props


def _fold(assertions):
    props, times = {}, {}
    for new, time, weak in assertions:
        changed, changed_times = merge_props(props, times, new, time, weak)
        props.update(changed)
        times.update(changed_times)
    return props, times


ASSERTIONS = [
    ({"version": "a", "first_seen": "t1", "last_seen": "t1", "state": "START"}, "t1", frozenset()),
    ({"version": "b", "first_seen": "t2", "last_seen": "t2", "state": "COMPLETE"}, "t2", frozenset()),
    ({"schema_fields": "S", "first_seen": "t3", "last_seen": "t3", "state": "RUNNING"}, "t3", frozenset()),
    ({"layer": "gold", "first_seen": "t0", "last_seen": "t0"}, "t0", frozenset({"layer"})),
    ({"layer": "silver", "first_seen": "t0", "last_seen": "t0"}, "t0", frozenset()),
    ({"version": "a", "first_seen": "t2", "last_seen": "t2"}, "t2", frozenset()),
]


def test_every_order_gives_the_same_properties():
    results = {repr(sorted(_fold(p)[0].items())) for p in itertools.permutations(ASSERTIONS)}
    assert len(results) == 1
    props, _ = _fold(ASSERTIONS)
    assert props["version"] == "b"            # newest time wins; a tie goes to the larger value
    assert props["state"] == "COMPLETE"       # the highest state reached
    assert props["first_seen"] == "t0" and props["last_seen"] == "t3"
    assert props["layer"] == "silver"         # an explicit layer beats a guessed one
    assert props["schema_fields"] == "S"


def test_reapplying_changes_nothing():
    props, times = _fold(ASSERTIONS)
    for new, time, weak in random.Random(7).sample(ASSERTIONS, len(ASSERTIONS)):
        assert merge_props(props, times, new, time, weak) == ({}, {})


def test_identity_properties_are_written_once():
    props, _ = _fold([({"dataset_id": "x", "name": "n"}, "t1", frozenset()),
                      ({"dataset_id": "y", "name": "m"}, "t2", frozenset())])
    assert props == {"dataset_id": "x", "name": "n"}
