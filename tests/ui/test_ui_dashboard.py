"""The dashboard page in headless Chromium, against a real local server on a prepared AUDIENCE_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import insights_lake
import pytest
from servers import Server, free_port

from audience.ingest.adapters.local.counters import SqliteCounterStore
from schemas.engagement import LakeRecord

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("home")
    now = datetime.now(UTC)
    lake = insights_lake.build(home / "lake", now=now)
    (lake / "reference").mkdir()
    (lake / "reference" / "content_catalog.csv").write_text(insights_lake.CATALOG)
    counters = SqliteCounterStore(home / "state" / "counters.db", dedup_ttl_seconds=86_400 * 30)
    counters.apply([LakeRecord.model_validate(row) for row in insights_lake.events(now)])
    counters.close()
    srv = Server(home=home, port=free_port(), env={"AUDIENCE_DASHBOARD_REFRESH_SECONDS": "1"})
    srv.start()
    yield srv
    srv.stop()


def _bars(page: Any, selector: str) -> list[tuple[str, int]]:
    rows = page.eval_on_selector_all(
        f"{selector} .row", "els => els.map(e => [e.dataset.key, Number(e.dataset.value)])"
    )
    return [(k, v) for k, v in rows]


def test_ui_dashboard_renders_the_lake_and_live_counters(chromium: Any, server: Server) -> None:
    # GIVEN the dashboard page over 7 days
    page = chromium.new_page()
    page.goto(f"{server.url}/dashboard")
    page.click("#time-range button[data-value='7d']")
    page.wait_for_function("document.body.dataset.loadedQuery === 'time_range=7d'")
    # THEN every chart shows the lake's figures
    assert _bars(page, "#top-content") == [("c-1", 7), ("c-2", 4)]
    assert _bars(page, "#platforms") == [("web", 5), ("ios-app", 3), ("roku", 3)]
    assert _bars(page, "#countries") == [("US", 5), ("GB", 4), ("DE", 2)]
    assert _bars(page, "#devices") == [("desktop", 5), ("mobile", 3), ("tv", 3)]
    kpis = page.eval_on_selector_all("#kpis .kpi", "els => els.map(e => [e.dataset.key, e.dataset.value])")
    assert kpis[:2] == [["events", "11"], ["users", "6"]]
    assert page.inner_text('#kpis .kpi[data-key="events"] .delta').startswith("+266.7%")
    types = page.eval_on_selector_all("#over-time circle.point", "els => els.map(e => e.dataset.series)")
    assert {"view", "complete"} <= set(types)
    assert page.inner_text("#top-content tbody tr >> nth=0 >> td.title") == "Night Shift"
    assert page.locator("#top-content tbody tr >> nth=0 >> svg.sparkline").count() == 1
    # AND the live panel shows the counters by title and keeps refreshing
    page.wait_for_function("document.querySelectorAll('#live tbody tr').length === 2")
    first = page.get_attribute("#live .as-of", "data-as-of")
    assert page.inner_text("#live tbody tr >> nth=0").split("\t")[:2] == ["Night Shift", "10"]
    page.wait_for_function(f"document.querySelector('#live .as-of').dataset.asOf !== {first!r}", timeout=5000)
    page.close()


def test_ui_dashboard_shows_a_bad_filter_as_text(chromium: Any, server: Server) -> None:
    # GIVEN a shared URL whose country filter is not a country code, with markup in it
    page = chromium.new_page()
    page.goto(f"{server.url}/dashboard?country=%3Cb%3E")
    page.wait_for_function("document.body.dataset.loaded === 'error'")
    # THEN the API's reason is shown as text, and no element was injected
    assert "country" in page.inner_text("#status")
    assert page.eval_on_selector_all("#status b, #chips b b", "els => els.length") == 0
    assert page.inner_text('#chips .chip[data-filter="country"] b') == "<b>"
    page.close()
    # AND the API itself answered 400
    assert httpx.get(f"{server.url}/api/dashboard/top_content?country=%3Cb%3E").status_code == 400
