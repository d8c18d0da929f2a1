"""The dashboard API in process (Flask test client) on the small lake: exact figures, 400s, injection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import insights_lake
import pytest
from builders import NOW, FakeCounters
from flask import Flask
from flask.testing import FlaskClient

from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery
from audience.insights.catalog import CsvCatalog
from audience.insights.dashboard import DashboardService
from audience.insights.dashboard_query import DashboardQuery
from audience.web import vendor as web_vendor
from audience.web.auth import auth as web_auth
from audience.web.pages import dashboard as web_dashboard
from audience.web.shell import shell as web_shell
from schemas.engagement import LakeRecord


def _service(lake: Path) -> DashboardService:
    counters = FakeCounters()
    counters.apply([LakeRecord.model_validate(row) for row in insights_lake.events()])
    return DashboardService(
        DuckDBLakeQuery(lake), counters, CsvCatalog(lambda: insights_lake.CATALOG.encode()), clock=lambda: NOW
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    svc = _service(insights_lake.build(tmp_path_factory.mktemp("lake")))
    original = web_dashboard.service
    web_dashboard.service = lambda: svc  # type: ignore[assignment]
    app = Flask("test")
    app.register_blueprint(web_dashboard.dashboard)
    app.register_blueprint(web_vendor)  # the page links D3 and the shared sign-in script
    app.register_blueprint(web_auth)
    app.register_blueprint(web_shell)  # base.html, the design system and the chart components
    yield app.test_client()
    web_dashboard.service = original


def get(client: FlaskClient, url: str) -> tuple[int, dict[str, Any]]:
    response = client.get(url)
    return response.status_code, response.get_json()


def test_dashboard_engagement_over_time(client: FlaskClient) -> None:
    # WHEN the series is asked over 7 days
    status, body = get(client, "/api/dashboard/engagement_over_time?time_range=7d")
    # THEN it is the lake's daily counts, with totals against the previous period
    assert status == 200
    assert [(p["date"], p["events"]) for p in body["series"]] == [
        ("2026-11-14", 1),
        ("2026-11-15", 1),
        ("2026-11-18", 2),
        ("2026-11-19", 4),
        ("2026-11-20", 3),
    ]
    assert body["totals"] == {"events": 11, "users": 6, "previous_events": 3, "events_change_pct": 266.7}


def test_dashboard_top_content_platforms_and_demographics(client: FlaskClient) -> None:
    # WHEN the other three metrics are asked
    _, top = get(client, "/api/dashboard/top_content?time_range=7d&limit=1")
    _, platforms = get(client, "/api/dashboard/platform_performance?time_range=7d")
    _, demo = get(client, "/api/dashboard/audience_demographics?time_range=7d")
    # THEN the figures are exact
    assert [(i["content_id"], i["title"], i["events"], i["completion_ratio"]) for i in top["items"]] == [
        ("c-1", "Night Shift", 7, 0.6667)
    ]
    assert [(i["value"], i["events"], i["share_pct"]) for i in platforms["items"]] == [
        ("web", 5, 45.5),
        ("ios-app", 3, 27.3),
        ("roku", 3, 27.3),
    ]
    assert [(i["value"], i["events"]) for i in demo["countries"]] == [("US", 5), ("GB", 4), ("DE", 2)]
    assert [(i["value"], i["events"]) for i in demo["tiers"]] == [("unknown", 6), ("premium", 3), ("free", 2)]


def test_dashboard_filters(client: FlaskClient) -> None:
    # WHEN filtered by country, device and content type
    _, us = get(client, "/api/dashboard/top_content?time_range=7d&country=us")
    _, tv = get(client, "/api/dashboard/platform_performance?time_range=7d&device_type=tv")
    _, podcasts = get(client, "/api/dashboard/top_content?time_range=7d&content_type=podcast")
    # THEN only matching events count
    assert [(i["content_id"], i["events"]) for i in us["items"]] == [("c-1", 3), ("c-2", 2)]
    assert [(i["value"], i["events"]) for i in tv["items"]] == [("roku", 3)]
    assert [i["content_id"] for i in podcasts["items"]] == ["c-2"]


def test_dashboard_live_counters(client: FlaskClient) -> None:
    # WHEN live counters of two contents are asked
    status, body = get(client, "/api/dashboard/live?content_id=c-1&content_id=c-2")
    # THEN they are the counters' all-time figures (c-1 includes its older events)
    assert status == 200
    assert [(i["content_id"], i["events"], i["shares"]) for i in body["items"]] == [
        ("c-1", 10, 0),
        ("c-2", 5, 1),
    ]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/dashboard/revenue", "metric"),
        ("/api/dashboard/top_content?time_range=1y", "time_range"),
        ("/api/dashboard/top_content?limit=0", "limit"),
        ("/api/dashboard/top_content?limit=ten", "limit"),
        ("/api/dashboard/top_content?sort=events", "sort"),
        ("/api/dashboard/top_content?time_range=7d&time_range=30d", "time_range"),
        ("/api/dashboard/top_content?country=us' OR '1'='1", "country"),
        ("/api/dashboard/top_content?platform=web' OR ''='", "platform"),
        ("/api/dashboard/top_content?platform=web;DROP TABLE engagement_events", "platform"),
        ("/api/dashboard/top_content?device_type=tv') --", "device_type"),
        ("/api/dashboard/top_content?content_type=video' UNION SELECT 1 --", "content_type"),
        ("/api/dashboard/live?content_id=c-1%0A", "content_id"),
        ("/api/dashboard/live?user_id=u1", "user_id"),
    ],
)
def test_dashboard_rejects_bad_parameters(client: FlaskClient, url: str, parameter: str) -> None:
    # WHEN a request has an unknown metric, a bad or hostile parameter
    status, body = get(client, url)
    # THEN it is a 400 naming the parameter
    assert status == 400
    assert any(r["parameter"].startswith(parameter) for r in body["reasons"])


def test_dashboard_injection_leaves_the_lake_intact(client: FlaskClient) -> None:
    # GIVEN hostile values sent before WHEN a valid unknown value is sent
    get(client, "/api/dashboard/top_content?platform=x' OR '1'='1")
    status, empty = get(client, "/api/dashboard/top_content?time_range=7d&platform=Robert.Tables-1")
    _, again = get(client, "/api/dashboard/top_content?time_range=7d")
    # THEN it is a correct empty answer, and the data is unchanged
    assert status == 200 and empty["items"] == []
    assert [i["events"] for i in again["items"]] == [7, 4]


def test_dashboard_live_takes_hostile_looking_ids_as_plain_ids(client: FlaskClient) -> None:
    # WHEN a content id that looks like SQL is asked (any printable id is valid since contract 1.1)
    status, body = get(client, "/api/dashboard/live?content_id=c-1' OR 1=1 --")
    # THEN it is an unknown id with no counts, verbatim, and the other content is untouched
    assert status == 200
    assert [(i["content_id"], i["events"]) for i in body["items"]] == [("c-1' OR 1=1 --", 0)]


def test_dashboard_page_is_served(client: FlaskClient) -> None:
    # WHEN the page is asked THEN it loads D3 and its script, and says how often it refreshes
    page = client.get("/dashboard").get_data(as_text=True)
    assert "/static/vendor/d3.min.js" in page and "dashboard.js" in page
    assert 'data-refresh-seconds="15"' in page
    assert ".html(" not in client.get("/static/web/dashboard.js").get_data(as_text=True)


class _Counting:
    """A lake that counts the queries it runs."""

    def __init__(self, lake: DuckDBLakeQuery) -> None:
        self.lake = lake
        self.runs = 0

    def available(self, table: str) -> bool:
        return self.lake.available(table)

    def run(self, sql: str, params: Any) -> Any:
        self.runs += 1
        return self.lake.run(sql, params)


def test_dashboard_flood_of_unheld_filter_values_is_cheap_and_keeps_the_cache(tmp_path: Path) -> None:
    # GIVEN a dashboard whose cache holds the unfiltered view
    counting = _Counting(DuckDBLakeQuery(insights_lake.build(tmp_path / "lake")))
    svc = DashboardService(
        counting,  # type: ignore[arg-type]
        FakeCounters(),
        CsvCatalog(lambda: insights_lake.CATALOG.encode()),
        clock=lambda: NOW,
    )
    unfiltered = DashboardQuery.parse({"time_range": ["7d"]})
    before = svc.top_content(unfiltered)
    runs = counting.runs
    # WHEN 2,000 distinct well-formed platform values the lake does not hold are asked
    for i in range(2_000):
        out = svc.top_content(DashboardQuery.parse({"time_range": ["7d"], "platform": [f"p-{i:05d}"]}))
        assert out["items"] == [] and out["no_such_values"] == [f"platform=p-{i:05d}"]
    # THEN they cost only the one lookup of the values the lake holds (3 queries), not one each
    assert counting.runs - runs <= 3
    # AND the useful entry is still cached: the unfiltered view runs no query
    runs = counting.runs
    assert svc.top_content(unfiltered)["items"] == before["items"]
    assert counting.runs == runs
    # AND a value the lake holds is still answered from the lake
    assert [
        i["content_id"]
        for i in svc.top_content(DashboardQuery.parse({"time_range": ["7d"], "platform": ["roku"]}))["items"]
    ] == ["c-2"]
