"""A small PySpark job: daily sales per store, bronze Parquet to silver Parquet.

Run by the test suite in local mode; it records its own lineage with the
code version of this file."""

from __future__ import annotations

from lineage.integrations.spark import VersionedSparkJob


def run(spark, bronze_path: str, silver_path: str, target) -> dict:
    from pyspark.sql import functions as F

    job = VersionedSparkJob(job_name="transform_sales", job_file=__file__,
                            input_datasets=["bronze/sales"], output_datasets=["silver/sales"],
                            description="daily revenue per store")
    sales = spark.read.parquet(bronze_path)
    daily = (sales.groupBy("store_id", "day")
             .agg(F.sum("amount").alias("revenue"), F.count("*").alias("orders"))
             .orderBy("store_id", "day"))
    daily.write.mode("overwrite").parquet(silver_path)
    return job.emit_lineage(target, spark=spark)
