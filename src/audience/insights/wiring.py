"""Chooses the insights' adapters for the configured backend (like :mod:`audience.ingest.wiring`).

AWS: Athena over the Glue tables, Bedrock when ``AUDIENCE_BEDROCK_MODEL_ID`` is set, the insight
store in the lake bucket. Local: DuckDB over ``$AUDIENCE_HOME/lake``, the rules writer, the store
in the same folder lake. The catalog comes from ``reference/content_catalog.csv`` in the lake
(where ``scripts/package.py`` uploads it), or locally from the repository's ``data/``.
"""

from __future__ import annotations

from functools import lru_cache

from audience.core.objectstore.ports import ObjectStore
from audience.core.objectstore.wiring import lake_store
from audience.core.settings import InsightsSettings, find_project_root, get_settings
from audience.ingest.ports import CounterStore
from audience.ingest.wiring import live_counters, ports
from audience.insights.adapters.local.rules_writer import write_insight
from audience.insights.catalog import CsvCatalog
from audience.insights.gather import Gatherer
from audience.insights.ports import InsightModel, LakeQuery
from audience.insights.service import InsightService
from audience.insights.store import InsightStore

CATALOG_KEY = "reference/content_catalog.csv"
LOCAL_CATALOG = find_project_root() / "data" / "content_catalog.csv"


def build_lake_query(settings: InsightsSettings) -> LakeQuery:
    if settings.backend == "aws":
        from audience.insights.adapters.aws.athena import AthenaLakeQuery

        return AthenaLakeQuery(
            workgroup=settings.need("athena_workgroup"),
            database=settings.need("lake_database"),
            timeout_seconds=settings.lake_query_timeout_seconds,
        )
    from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery

    return DuckDBLakeQuery(settings.lake_dir)


def build_model(settings: InsightsSettings) -> InsightModel | None:
    if settings.backend == "aws" and settings.bedrock_model_id:
        from audience.insights.adapters.aws.bedrock import BedrockInsightModel

        return BedrockInsightModel(settings.bedrock_model_id)
    return None


def _stores(settings: InsightsSettings) -> tuple[ObjectStore, CounterStore]:
    """The lake bucket and the live counters, without the ingestion's delivery stream."""
    if settings.backend == "aws":
        return lake_store(settings), live_counters(settings)
    p = ports()
    return p.lake, p.counters


@lru_cache(maxsize=1)
def stores() -> tuple[ObjectStore, CounterStore]:
    return _stores(get_settings())


def _catalog(settings: InsightsSettings) -> CsvCatalog:
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
        rules=write_insight,
    )


def reset() -> None:
    stores.cache_clear()
    lake_query.cache_clear()
    catalog.cache_clear()
    insights_service.cache_clear()
