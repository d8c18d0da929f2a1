"""One-machine Spark settings belong to the local session, never to the Glue scripts."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

from audience.features.adapters.local.glue import apply_local_conf, local_spark_conf

GLUE_JOBS = Path(__file__).resolve().parents[2] / "glue_jobs"


def test_local_conf_scales_shuffles_to_the_cores_and_keeps_adaptive_execution() -> None:
    # GIVEN a 2-core and an 8-core machine  WHEN the settings are derived
    two, eight = local_spark_conf(2), local_spark_conf(8)
    # THEN shuffles are 2 per core and adaptive execution coalesces them
    assert (two["spark.sql.shuffle.partitions"], eight["spark.sql.shuffle.partitions"]) == ("4", "16")
    assert two["spark.sql.adaptive.enabled"] == "true"
    assert (
        "spark.sql.adaptive.coalescePartitions.parallelismFirst" not in two
    )  # Spark's default: keep the cores busy


def test_glue_scripts_set_none_of_the_local_settings() -> None:
    # GIVEN every script Glue runs (the jobs and their library, minus the local-session helper)
    sources = {p: p.read_text() for p in GLUE_JOBS.rglob("*.py") if p.name != "io.py"}
    # THEN none of them sets a one-machine setting
    for key in local_spark_conf(2):
        assert not [p.name for p, text in sources.items() if key in text], key


def test_apply_local_conf_sets_them_on_the_session_with_overrides(spark: SparkSession) -> None:
    # GIVEN the tests' session  WHEN the settings are applied with an override
    before = spark.conf.get("spark.sql.shuffle.partitions")
    try:
        apply_local_conf(spark, {"spark.sql.shuffle.partitions": "3"})
        # THEN the session has them, the override winning
        assert spark.conf.get("spark.sql.files.maxPartitionBytes") == "256m"
        assert spark.conf.get("spark.sql.shuffle.partitions") == "3"
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)
        spark.conf.set("spark.sql.adaptive.enabled", "false")
