"""Chooses the insights' adapters for the configured backend (like :mod:`audience.ingest.wiring`).

AWS: Athena over the Glue tables, Bedrock when ``AUDIENCE_BEDROCK_MODEL_ID`` is set, the insight
store in the lake bucket. Local: DuckDB over ``$AUDIENCE_HOME/lake``, the rules writer, the store
in the same folder lake. The catalog comes from ``reference/content_catalog.csv`` in the lake
(where ``scripts/package_glue.py`` uploads it), or locally from the repository's ``data/``.
"""

from __future__ import annotations

from functools import lru_cache

from audience.core.objectstore.ports import ObjectStore
from audience.core.settings import Settings, find_project_root, get_settings
from audience.ingest.ports import CounterStore
from audience.ingest.wiring import ports
from audience.insights.catalog import CsvCatalog
from audience.insights.gather import Gatherer
from audience.insights.ports import InsightModel, LakeQuery
from audience.insights.service import InsightService
from audience.insights.store import InsightStore

CATALOG_KEY = "reference/content_catalog.csv"
LOCAL_CATALOG = find_project_root() / "data" / "content_catalog.csv"


def build_lake_query(settings: Settings) -> LakeQuery:
    if settings.backend == "aws":
        from audience.insights.adapters.aws.athena import AthenaLakeQuery

        if not settings.lake_database or not settings.athena_workgroup:
            raise RuntimeError("aws backend needs AUDIENCE_LAKE_DATABASE and AUDIENCE_ATHENA_WORKGROUP")
        return AthenaLakeQuery(
            workgroup=settings.athena_workgroup,
            database=settings.lake_database,
            timeout_seconds=settings.lake_query_timeout_seconds,
        )
    from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery

    return DuckDBLakeQuery(settings.lake_dir)


def build_model(settings: Settings) -> InsightModel | None:
    if settings.backend == "aws" and settings.bedrock_model_id:
        from audience.insights.adapters.aws.bedrock import BedrockInsightModel

        return BedrockInsightModel(settings.bedrock_model_id)
    return None


def _stores(settings: Settings) -> tuple[ObjectStore, CounterStore]:
    """The lake bucket and the live counters, without the ingestion's delivery stream."""
    if settings.backend == "aws":
        from audience.core.objectstore.adapters.aws import S3ObjectStore
        from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore

        if not settings.lake_bucket or not settings.counters_table:
            raise RuntimeError("aws backend needs AUDIENCE_LAKE_BUCKET and AUDIENCE_COUNTERS_TABLE")
        return (
            S3ObjectStore(settings.lake_bucket),
            DynamoCounterStore(settings.counters_table, dedup_ttl_seconds=settings.dedup_ttl_seconds),
        )
    p = ports()
    return p.lake, p.counters


@lru_cache(maxsize=1)
def stores() -> tuple[ObjectStore, CounterStore]:
    return _stores(get_settings())


def _catalog(settings: Settings) -> CsvCatalog:
    lake = stores()[0]

    def load() -> bytes | None:
        try:
            return lake.get_object(CATALOG_KEY)
        except FileNotFoundError:
            if settings.backend == "local" and LOCAL_CATALOG.exists():
                return LOCAL_CATALOG.read_bytes()
            return None

    return CsvCatalog(load)


@lru_cache(maxsize=1)
def lake_query() -> LakeQuery:
    return build_lake_query(get_settings())


@lru_cache(maxsize=1)
def catalog() -> CsvCatalog:
    return _catalog(get_settings())


@lru_cache(maxsize=1)
def insights_service() -> InsightService:
    settings = get_settings()
    objects, counters = stores()
    return InsightService(
        gatherer=Gatherer(lake_query(), counters, catalog()),
        store=InsightStore(objects),
        model=build_model(settings),
        ttl_seconds=settings.insights_ttl_seconds,
    )


def reset() -> None:
    stores.cache_clear()
    lake_query.cache_clear()
    catalog.cache_clear()
    insights_service.cache_clear()
