import pytest

from lineage import InvalidArgument, NodeKey
from lineage._ids import infer_layer, model_id, split_model_id

CASES = [
    ("gold/customers", NodeKey("gold", "customers")),
    ("churn_predictor", NodeKey("default", "churn_predictor")),
    ("food_delivery/public.orders_7_days", NodeKey("food_delivery", "public.orders_7_days")),
    ("s3://raw-landing/sales/2026-01-10", NodeKey("s3://raw-landing", "sales/2026-01-10")),
    ("postgres://db:5432/crm.public.customers", NodeKey("postgres://db:5432", "crm.public.customers")),
    ("file.localhost/file://localhost/in_file1.txt", NodeKey("file.localhost", "file://localhost/in_file1.txt")),
    ("default/a/b", NodeKey("default", "a/b")),
]


@pytest.mark.parametrize("text,key", CASES)
def test_short_ids_parse_and_render_both_ways(text, key):
    assert NodeKey.parse(text, "default") == key
    assert key.render("default") == text
    assert NodeKey.parse(key.render("default"), "default") == key


@pytest.mark.parametrize("text", ["", "  ", "/x", "x/", "s3://bucket"])
def test_malformed_ids_say_how_to_write_them(text):
    with pytest.raises(InvalidArgument) as err:
        NodeKey.parse(text, "default")
    assert "id" in err.value.message


@pytest.mark.parametrize("text,layer", [
    ("gold/customers", "gold"), ("bronze/sales", "bronze"), ("warehouse/silver.orders", "silver"),
    ("food_delivery/public.orders", ""), ("Gold/x", "gold"),
])
def test_layer_comes_from_a_medallion_prefix(text, layer):
    assert infer_layer(NodeKey.parse(text, "default")) == layer


def test_model_ids_carry_the_version():
    assert model_id("churn_predictor", "3") == "churn_predictor@3"
    assert model_id("churn_predictor", None) == "churn_predictor"
    assert split_model_id("churn_predictor@3") == ("churn_predictor", "3")
    assert split_model_id("churn_predictor") == ("churn_predictor", None)
