"""The lake queries: portable (Athena/Trino and DuckDB parsers), and exact on a small local lake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import insights_lake
import pytest
import sqlglot
from builders import NOW

from audience.insights import queries as q
from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery
from audience.insights.gather import ALL_FILTERS, Window

W = Window.ending(NOW, 7)
CURRENT = Window.params(W.start, W.end)
PREVIOUS = Window.params(W.previous_start, W.start, W.end)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> DuckDBLakeQuery:
    return DuckDBLakeQuery(insights_lake.build(tmp_path_factory.mktemp("lake")))


def run(lake: DuckDBLakeQuery, name: str, **values: Any) -> list[dict[str, Any]]:
    query = q.query(name)
    return lake.run(query.sql, query.bind(values))


@pytest.mark.parametrize("name", sorted(q.QUERIES))
@pytest.mark.parametrize("dialect", ["athena", "trino", "presto", "duckdb"])
def test_insights_queries_parse_in_every_dialect(name: str, dialect: str) -> None:
    # GIVEN a query as written once
    query = q.QUERIES[name]
    # WHEN each engine's parser reads it
    parsed = sqlglot.parse_one(query.sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    # THEN it parses, with one ? per bound parameter and only the declared tables
    assert len(list(parsed.find_all(sqlglot.exp.Placeholder))) == len(query.params)
    assert {t.name for t in parsed.find_all(sqlglot.exp.Table)} <= set(query.tables)


def test_insights_queries_totals_are_exact(lake: DuckDBLakeQuery) -> None:
    # GIVEN the small lake WHEN content c-1's totals are asked for both periods
    current = run(lake, "totals:content", content_id="c-1", **CURRENT)[0]
    previous = run(lake, "totals:content", content_id="c-1", **PREVIOUS)[0]
    # THEN they count exactly the events inside each period
    assert {k: current[k] for k in ("events", "users", "views", "completes", "likes", "skips", "shares")} == {
        "events": 7,
        "users": 3,
        "views": 3,
        "completes": 2,
        "likes": 1,
        "skips": 1,
        "shares": 0,
    }
    assert current["avg_completion_rate"] == pytest.approx((0.5 + 1.0 + 0.2) / 3)
    assert current["watch_seconds"] == 180.0
    assert (previous["events"], previous["users"], previous["views"], previous["watch_seconds"]) == (
        2,
        1,
        2,
        60.0,
    )


def test_insights_queries_all_scope_counts_the_start_day_partition(lake: DuckDBLakeQuery) -> None:
    # GIVEN an event one hour after the period start, in the partition of the start day
    # WHEN totals over everything are asked
    row = run(lake, "totals:all", **CURRENT, **ALL_FILTERS)[0]
    # THEN it is counted (11 events by 6 users in 2 contents), the 20-day-old one is not
    assert (row["events"], row["users"], row["contents"]) == (11, 6, 2)


def test_insights_queries_previous_period_counts_late_arrivals(lake: DuckDBLakeQuery) -> None:
    # GIVEN a previous-period event that arrived in the current period's partitions
    # WHEN totals over everything are asked for the previous period
    row = run(lake, "totals:all", **PREVIOUS, **ALL_FILTERS)[0]
    # THEN it is counted with the period it happened in
    assert (row["events"], row["users"]) == (3, 2)


def test_insights_queries_partition_bounds_span_a_new_year() -> None:
    # GIVEN a 90-day window crossing the new year
    from datetime import UTC, datetime

    values = Window.params(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 10, tzinfo=UTC))
    # THEN the partition bounds cover both years and every month, the exact day bound stays
    assert (values["year_from"], values["year_to"], values["month_from"], values["month_to"]) == (
        "2026",
        "2027",
        "01",
        "12",
    )
    assert values["start_day"] == "2026-12-01"


def test_insights_queries_filters_narrow_the_dashboard_scope(lake: DuckDBLakeQuery) -> None:
    # GIVEN filters on platform / country / device WHEN totals are asked
    web = run(lake, "totals:all", **CURRENT, platform="web", country="", device_type="")[0]
    us_tv = run(lake, "totals:all", **CURRENT, platform="", country="US", device_type="tv")[0]
    video = run(lake, "totals:all_typed", **CURRENT, **ALL_FILTERS, content_type="video")[0]
    # THEN only matching events count; content_type uses the latest content_features snapshot
    assert web["events"] == 5
    assert us_tv["events"] == 1
    assert (video["events"], video["contents"]) == (7, 1)


def test_insights_queries_breakdowns_are_exact_and_ordered(lake: DuckDBLakeQuery) -> None:
    # GIVEN content c-1 WHEN broken down by platform and country
    platforms = run(lake, "by_platform:content", content_id="c-1", **CURRENT)
    countries = run(lake, "by_country:all", **CURRENT, **ALL_FILTERS)
    tiers = run(lake, "by_subscription_tier:content", content_id="c-1", **CURRENT)
    # THEN counts are exact and ordered by events
    assert [(r["dim_value"], r["events"], r["users"], r["views"], r["completes"]) for r in platforms] == [
        ("web", 4, 2, 2, 1),
        ("ios-app", 3, 1, 1, 1),
    ]
    assert [(r["dim_value"], r["events"]) for r in countries] == [("US", 5), ("GB", 4), ("DE", 2)]
    assert [(r["dim_value"], r["events"]) for r in tiers] == [("premium", 3), ("free", 2), ("unknown", 2)]


def test_insights_queries_daily_and_top_content(lake: DuckDBLakeQuery) -> None:
    # WHEN the daily series and the top content are asked over everything
    daily = run(lake, "daily:all", **CURRENT, **ALL_FILTERS)
    top = run(lake, "top_content:all", **CURRENT, **ALL_FILTERS)
    # THEN days are in order with exact counts, and content by events
    assert [(str(r["event_date"]), r["events"]) for r in daily] == [
        ("2026-11-14", 1),
        ("2026-11-15", 1),
        ("2026-11-18", 2),
        ("2026-11-19", 4),
        ("2026-11-20", 3),
    ]
    assert [(r["content_id"], r["events"], r["users"]) for r in top] == [("c-1", 7, 3), ("c-2", 4, 3)]


def test_insights_queries_segments_use_the_latest_assignment(lake: DuckDBLakeQuery) -> None:
    # WHEN segment seg-a is described and measured
    info = run(lake, "segment_info", segment_id="seg-a")[0]
    totals = run(lake, "totals:segment", segment_id="seg-a", **CURRENT)[0]
    types = run(lake, "by_content_type:segment", segment_id="seg-a", **CURRENT)
    # THEN only the 2026-11-20 members (u1, u2) count, not the older snapshot's u3, u4
    assert (info["segment_name"], info["members"], info["as_of"]) == ("Binge <watchers>", 2, "2026-11-20")
    assert (totals["events"], totals["users"]) == (5, 2)
    assert [(r["dim_value"], r["events"]) for r in types] == [("video", 5)]


def test_insights_queries_predictions(lake: DuckDBLakeQuery) -> None:
    # WHEN churn of c-1's audience, churn of seg-a, and c-1's engagement scores are asked
    churn = run(lake, "churn:content", content_id="c-1", **CURRENT)
    seg = run(lake, "churn:segment", segment_id="seg-a")
    eng = run(lake, "engagement:content", content_id="c-1")[0]
    # THEN they read the latest scores of exactly those users
    assert [(r["risk_band"], r["users"]) for r in churn] == [("high", 1), ("low", 1), ("medium", 1)]
    assert [(r["risk_band"], r["users"], r["avg_probability"]) for r in seg] == [
        ("high", 1, 0.8),
        ("low", 1, 0.1),
    ]
    assert (eng["users"], eng["model_version"]) == (2, "eng-1")
    assert eng["avg_predicted_engagement"] == pytest.approx(0.6)


def test_insights_queries_missing_tables_are_not_available(tmp_path: Path) -> None:
    # GIVEN a lake with events only
    lake = DuckDBLakeQuery(
        insights_lake.build(tmp_path, with_segments=False, with_predictions=False, with_features=False)
    )
    # THEN the producers' tables are reported missing rather than failing
    assert lake.available("engagement_events")
    assert not lake.available("segment_assignments")
    assert not lake.available("churn_scores")
    assert not lake.available("no_such_table")


def test_insights_queries_values_never_become_sql(lake: DuckDBLakeQuery) -> None:
    # GIVEN injection attempts as parameter values
    attempts = ["c-1' OR '1'='1", "c-1'; DROP VIEW engagement_events; --", "' UNION SELECT 1 --"]
    for attempt in attempts:
        # WHEN used as the content id
        row = run(lake, "totals:content", content_id=attempt, **CURRENT)[0]
        # THEN they match nothing, and the lake is intact afterwards
        assert row["events"] == 0
    assert run(lake, "totals:content", content_id="c-1", **CURRENT)[0]["events"] == 7
