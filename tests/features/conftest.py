"""One local SparkSession for every Glue test (small shuffles, UTC, quiet), and the repository root on
sys.path so ``glue_jobs`` imports as it does for the jobs."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pyspark.sql import SparkSession  # noqa: E402


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17: apt-get install -y openjdk-17-jre-headless (make setup does it)")
    from audience.features.adapters.local.glue import apply_local_conf
    from glue_jobs.features_lib.io import local_session

    # The local runner's one-machine settings, then, for tiny inputs: one shuffle partition and no
    # adaptive re-planning keep each stage's overhead small.
    session = local_session("tests-glue", master="local[2]", driver_memory="1g", shuffle_partitions=1)
    apply_local_conf(session, {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "false"})
    yield session
    session.stop()


@pytest.fixture
def glue_runner(spark: SparkSession) -> Any:
    """The job scripts run as the local Glue job host runs them, in this process, on the test session."""
    from glue_testkit import InlineGlueRunner

    return InlineGlueRunner(spark)
