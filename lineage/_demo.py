"""A realistic demo lakehouse: bronze -> silver -> gold datasets, Spark and dbt
pipelines, a churn model trained on pinned gold snapshots (and an older version
that was not pinned), a feature view and a model trained on it.

The events are fixed (times and run ids), so loading the demo twice changes
nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ._builders import DatasetSpec as D
from ._builders import EventBuilder, stable_run_id

_BASE = datetime(2026, 1, 10, 2, 0, tzinfo=timezone.utc)

CUSTOMER_SCHEMA = [("customer_id", "BIGINT"), ("email", "VARCHAR"), ("country", "VARCHAR"),
                   ("signup_date", "DATE")]
TRANSACTION_SCHEMA = [("transaction_id", "BIGINT"), ("customer_id", "BIGINT"),
                      ("amount", "DECIMAL(12,2)"), ("ts", "TIMESTAMP")]
SALES_SCHEMA = [("sale_id", "BIGINT"), ("product_id", "BIGINT"), ("quantity", "INT"), ("ts", "TIMESTAMP")]


def _from(source: str, *columns: str | tuple[str, ...]) -> list[tuple[str, ...]]:
    """Column lineage from one source dataset: a bare name is a column copied as is
    (IDENTITY), a tuple is (field, source field, how[, description])."""
    return [(c, source, c, "IDENTITY") if isinstance(c, str) else (c[0], source, *c[1:]) for c in columns]


# Column lineage of the outputs: (field, source dataset, source field, how[, description]).
CRM = "postgres://crm-db:5432/crm.public.customers"
BRONZE_CUSTOMER_COLUMNS = _from(CRM, ("customer_id", "id", "IDENTITY"), "email", "country",
                                ("signup_date", "created_at", "TRANSFORMATION", "CAST(created_at AS DATE)"))
SILVER_CUSTOMER_COLUMNS = _from("bronze/customers", "customer_id",
                                ("email", "email", "TRANSFORMATION", "lower(trim(email))"), "country", "signup_date",
                                ("*", "customer_id", "GROUP_BY", "one row per customer_id (deduplication)"))
GOLD_CUSTOMER_COLUMNS = _from("silver/customers", "customer_id", ("email", "email", "MASKED", "sha2(email, 256)"),
                              "country", "signup_date",
                              ("*", "email", "FILTER", "rows whose email fails validation are dropped"))
SILVER_TRANSACTION_COLUMNS = _from("bronze/transactions", "transaction_id", "customer_id",
                                   ("amount", "amount", "TRANSFORMATION", "amount converted to EUR"), "ts")
GOLD_TRANSACTION_COLUMNS = _from("silver/transactions", *(f for f, _ in TRANSACTION_SCHEMA))
FEATURE_COLUMNS = [
    ("days_since_signup", "gold/customers", "signup_date", "TRANSFORMATION", "datediff(current_date, signup_date)"),
    ("txn_count_30d", "gold/transactions", "transaction_id", "AGGREGATION", "count over 30 days"),
    ("avg_amount_30d", "gold/transactions", "amount", "AGGREGATION", "avg over 30 days"),
    ("*", "gold/transactions", "customer_id", "GROUP_BY"), ("*", "gold/customers", "customer_id", "JOIN")]
CHURN_MODEL_COLUMNS = [
    ("churn_score", "gold/customers", "country", "TRANSFORMATION", "one-hot encoded"),
    ("churn_score", "gold/customers", "signup_date", "TRANSFORMATION", "tenure in days"),
    ("churn_score", "gold/transactions", "amount", "AGGREGATION", "spend over 90 days"),
    ("*", "gold/transactions", "customer_id", "JOIN")]


def _t(minutes: int) -> str:
    return (_BASE + timedelta(minutes=minutes)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# (pipeline_id, version, type, inputs, outputs, start minute, duration, final state, description)
_RUNS: list[tuple[str, Any, str, list[Any], list[Any], int, int, str, str]] = [
    ("ingest_sales", "1.4.0", "airflow", [D("s3://raw-landing/sales/2026-01-10")],
     [D("bronze/sales", "snapshot_s01", schema=SALES_SCHEMA)], 0, 4, "COMPLETE",
     "Lands the daily sales export in the bronze layer."),
    ("ingest_products", "1.4.0", "airflow", [D("s3://raw-landing/products/2026-01-10")],
     [D("bronze/products", "snapshot_p01")], 0, 2, "COMPLETE", "Lands the product catalogue."),
    ("ingest_crm", "2.0.1", "airflow", [D("postgres://crm-db:5432/crm.public.customers")],
     [D("bronze/customers", "snapshot_c01", schema=CUSTOMER_SCHEMA, columns=BRONZE_CUSTOMER_COLUMNS)], 1, 3, "COMPLETE",
     "Copies CRM customers into bronze."),
    ("ingest_payments", "2.0.1", "airflow", [D("kafka://events:9092/payments")],
     [D("bronze/transactions", "snapshot_t01", schema=TRANSACTION_SCHEMA)], 1, 5, "COMPLETE",
     "Drains the payments topic into bronze."),
    ("spark_aggregate_sales", 5, "spark", ["bronze/sales", "bronze/products"],
     [D("silver/sales_aggregated", "snapshot_abc123")], 10, 12, "COMPLETE",
     "Aggregates sales by product and day."),
    ("spark_clean_customers", 2, "spark", ["bronze/customers"],
     [D("silver/customers", "snapshot_c11", schema=CUSTOMER_SCHEMA, columns=SILVER_CUSTOMER_COLUMNS)], 10, 6, "COMPLETE",
     "Deduplicates customers and normalises emails."),
    ("spark_clean_transactions", 4, "spark", ["bronze/transactions"],
     [D("silver/transactions", "snapshot_t11", schema=TRANSACTION_SCHEMA,
        columns=SILVER_TRANSACTION_COLUMNS)], 10, 9, "COMPLETE",
     "Drops test payments and converts currencies."),
    ("dbt_gold_sales", "0.9.0", "dbt", ["silver/sales_aggregated"],
     [D("gold/sales_aggregated", "snapshot_g01")], 30, 3, "COMPLETE", "dbt model gold.sales_aggregated."),
    ("promote_customers", 1, "python", [D("silver/customers", "snapshot_c11")],
     [D("gold/customers", "snapshot_def456", schema=CUSTOMER_SCHEMA, columns=GOLD_CUSTOMER_COLUMNS)], 30, 2, "COMPLETE",
     "DQ validation + PII masking"),
    ("dbt_gold_transactions", "0.9.0", "dbt", [D("silver/transactions", "snapshot_t11")],
     [D("gold/transactions", "snapshot_ghi789", schema=TRANSACTION_SCHEMA,
        columns=GOLD_TRANSACTION_COLUMNS)], 30, 4, "COMPLETE",
     "dbt model gold.transactions."),
    ("dbt_sales_report", "0.9.0", "dbt", ["gold/sales_aggregated"], [D("gold/sales_report")], 40, 1,
     "FAIL", "Weekly sales report; failed on a late partition."),
    ("build_customer_features", 3, "python",
     [D("gold/customers", "snapshot_def456"), D("gold/transactions", "snapshot_ghi789")],
     [D("features/customer_features", "fv_2026_01_10", kind="FEATURE",
        feature_names=["days_since_signup", "txn_count_30d", "avg_amount_30d"], columns=FEATURE_COLUMNS)], 45, 5, "COMPLETE",
     "Materialises customer features for the online store."),
    ("train_churn_predictor", "git:9f1c2ab", "python",
     [D("gold/customers", "snapshot_def456"), D("gold/transactions", "snapshot_ghi789")],
     [D("churn_predictor", "3", kind="MODEL", framework="sklearn", columns=CHURN_MODEL_COLUMNS)], 60, 25, "COMPLETE",
     "Trains the churn classifier."),
    ("train_churn_predictor_legacy", None, "python", ["gold/customers"],
     [D("churn_predictor", "2", kind="MODEL", framework="sklearn")], 55, 20, "COMPLETE",
     "Older notebook training run; inputs were not pinned."),
    ("train_ltv_model", "git:4d2e9aa", "python",
     [D("features/customer_features", "fv_2026_01_10"), D("gold/sales_aggregated", "snapshot_g01")],
     [D("ltv_model", "1", kind="MODEL", framework="xgboost")], 70, 30, "COMPLETE",
     "Trains the customer lifetime value regressor."),
]


def demo_events(default_namespace: str) -> list[dict[str, Any]]:
    builder = EventBuilder(default_namespace)
    events: list[dict[str, Any]] = []
    for pid, version, ptype, ins, outs, start, duration, state, description in _RUNS:
        events.extend(builder.pipeline_run(
            pid, version=version, pipeline_type=ptype, inputs=ins, outputs=outs, description=description,
            run_id=stable_run_id("demo", pid, start), start_time=_t(start), end_time=_t(start + duration),
            final_state=state))
    for layer in ("bronze", "silver", "gold"):
        for spec in [s for run in _RUNS for s in run[4] if isinstance(s, D)]:
            if spec.dataset_id.startswith(layer + "/"):
                events.append(builder.dataset_event(D(spec.dataset_id, layer=layer), _t(0)))
    return events
