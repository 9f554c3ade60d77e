"""Search like people type, and ids resolved by a unique suffix of the name."""

import pytest

from lineage import Ambiguous, JanusGraphClient
from test_checks import NS, dbt_events, run_event


@pytest.fixture
def q(store):
    store.ingest(dbt_events())
    with JanusGraphClient(store=store) as c:
        yield c.queries


def test_a_short_name_finds_its_dataset_first_in_any_case(q):
    for text in ("customers", "CUSTOMERS", "Customers"):
        found = q.search(text)
        assert found[0]["id"] == NS + "customers" and found[0]["rank"] == 0
        assert [n["rank"] for n in found] == sorted(n["rank"] for n in found)
    # the model's pipeline comes after (a word of its name), never a test
    ids = [n["id"] for n in q.search("customers", limit=50)]
    assert any(i.endswith("jaffle_shop.customers.build.run") for i in ids)
    assert not [i for i in ids if i.endswith(".test") or "audit" in i]


def test_parts_of_names_find_what_people_mean(q):
    staged = q.search("stg", labels=["Dataset"])
    assert [n["id"] for n in staged[:3]] == [NS + s for s in ("stg_orders", "stg_payments", "stg_customers")]
    assert {n["rank"] for n in staged[3:]} == {4}   # the rest match only in the namespace (postgres://)
    assert {n["id"] for n in q.search("raw_", labels=["Dataset"])} == {
        NS + s for s in ("raw_customers", "raw_orders", "raw_payments")}
    assert q.search("dbt_prod", labels=["Dataset"], limit=100)
    ranks = [(n["rank"], len(n["id"]), n["id"]) for n in q.search("orders", limit=100)]
    assert ranks == sorted(ranks)
    assert q.search("no such thing anywhere") == []


def test_a_unique_suffix_of_the_name_resolves(q):
    assert q.resolve("dbt_prod.orders").key == NS + "orders"
    assert q.resolve("analytics.dbt_prod.customers").key == NS + "customers"
    assert q.resolve("orders").key == NS + "orders"
    # a suffix must be whole parts
    with pytest.raises(Exception):
        q.resolve("prod.orders")


def test_an_ambiguous_suffix_lists_the_candidates(store):
    a, b = run_event("x", "load_a"), run_event("x", "load_b", run="3f1c2a9e-0000-4000-8000-000000000002")
    a["outputs"] = [{"namespace": "duckdb://one", "name": "db.main.orders"}]
    b["outputs"] = [{"namespace": "duckdb://two", "name": "db.main.orders"}]
    store.ingest([a, b])
    with JanusGraphClient(store=store) as c:
        with pytest.raises(Ambiguous) as err:
            c.queries.resolve("main.orders")
    assert err.value.details["candidates"] == ["duckdb://one/db.main.orders", "duckdb://two/db.main.orders"]
