"""The only place that picks the slice's adapters: recipes by name, the table and the live
recommender by backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from audience.recommend.ports import LiveRecommender, OnlineQuery, RecommendationTable, Recommender, ServedLog
from audience.recommend.settings import RecommendSettings

RECIPES = ("popularity", "baseline", "personalize")


def recommender(
    recipe: str,
    *,
    baseline_mode: Literal["blend", "item-cf"] = "blend",
    half_life_days: float | None = None,
    l2: float | None = None,
) -> Recommender:
    """A fresh recommender for ``recipe`` (``personalize`` is the local EASE stand-in)."""
    from audience.recommend.recipes import Baseline, BaselineConfig, Popularity

    if recipe == "popularity":
        return Popularity()
    if recipe == "baseline":
        return Baseline(BaselineConfig(mode=baseline_mode, half_life_days=half_life_days))
    if recipe == "personalize":
        from audience.recommend.adapters.local.ease import EaseConfig, EaseRecommender

        return EaseRecommender(EaseConfig() if l2 is None else EaseConfig(l2=l2))
    raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")


def recipe_factories() -> dict[str, Callable[[], Recommender]]:
    return {name: (lambda name=name: recommender(name)) for name in RECIPES}  # type: ignore[misc]


def recommendations_table(settings: RecommendSettings) -> RecommendationTable:
    if settings.backend == "aws":
        from audience.recommend.adapters.aws.dynamodb_table import DynamoRecommendationTable

        if not settings.recommendations_table:
            raise RuntimeError("the aws backend needs AUDIENCE_RECOMMENDATIONS_TABLE")
        return DynamoRecommendationTable(settings.recommendations_table)
    from audience.recommend.adapters.local.sqlite_table import SqliteRecommendationTable

    return SqliteRecommendationTable(settings.table_path)


def live_recommender(settings: RecommendSettings) -> LiveRecommender | None:
    """Personalize GetRecommendations when a campaign is configured (aws backend only)."""
    if settings.backend != "aws" or not settings.recommendations_campaign_arn:
        return None
    from audience.recommend.adapters.aws.personalize_runtime import CampaignRecommender

    return CampaignRecommender(settings.recommendations_campaign_arn, settings.recommendations_filter_arn)


def served_log(settings: RecommendSettings) -> ServedLog:
    if settings.backend == "aws":
        from audience.recommend.adapters.aws.firehose_log import FirehoseServedLog

        if not settings.served_stream:
            raise RuntimeError("the aws backend needs AUDIENCE_SERVED_STREAM")
        return FirehoseServedLog(settings.served_stream)
    from audience.recommend.adapters.local.served_log import JsonLinesServedLog

    return JsonLinesServedLog(settings.home.resolve() / "lake")


def online_query(settings: RecommendSettings) -> OnlineQuery:
    """DuckDB over the local lake; in AWS the same SQL runs on Athena (see stacks/recommendations.yaml)."""
    if settings.backend == "aws":
        raise RuntimeError("the online comparison runs on Athena in AWS: start the analysis query there")
    from audience.recommend.adapters.local.duckdb_online import DuckDBOnlineQuery

    return DuckDBOnlineQuery(settings.home.resolve() / "lake")


def lake_store(settings: RecommendSettings) -> Any:
    """The lake bucket (S3) or folder, built by core's one object-store wiring."""
    from audience.core.objectstore.wiring import lake_store as core_lake_store
    from audience.core.settings import Settings

    return core_lake_store(
        Settings(backend=settings.backend, home=settings.home, lake_bucket=settings.lake_bucket)
    )
