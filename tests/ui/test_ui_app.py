"""Every page of the web app in headless Chromium, at desktop (1400 px) and tablet (768 px) widths.

Against a real local server on a prepared AUDIENCE_HOME (the small insights lake, its catalog and
counters, and an Explorer segmentation run), and on a new, empty AUDIENCE_HOME. Each page must fit
its width (no horizontal scrolling of the page), draw no two chart labels on top of each other,
raise no script error, and keep its state in the URL where it has filters. Screenshots are kept
under ``tests/ui/screenshots/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import insights_lake
import pytest
from explorer_testkit import prepare_home
from servers import Server, free_port

from audience.ingest.adapters.local.counters import SqliteCounterStore
from schemas.engagement import LakeRecord

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).parent / "screenshots"
WIDTHS = (1400, 768)
PAGES = {
    "home": ("/", "body[data-loaded=true]"),
    "dashboard": ("/dashboard?time_range=7d", "body[data-loaded=true]"),
    "explorer": ("/explorer", "body[data-loaded=true]"),
    "insights": ("/insights?content_id=c-1&time_range=7d", "body[data-loaded=true]"),
    "recommendations": ("/recommendations", "main"),
}

# Every label-like box drawn in a chart; two of them must never intersect.
_OVERLAPS = """
() => {
  const boxes = [];
  for (const svg of document.querySelectorAll('svg')) {
    const texts = Array.from(svg.querySelectorAll('text')).filter((t) => {
      const style = getComputedStyle(t);
      return t.textContent.trim() && style.display !== 'none' && style.visibility !== 'hidden';
    });
    const rects = texts.map((t) => ({ t: t.textContent, r: t.getBoundingClientRect() }))
      .filter((b) => b.r.width > 0 && b.r.height > 0);
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const a = rects[i].r, b = rects[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) boxes.push([rects[i].t, rects[j].t]);
      }
    }
  }
  return boxes;
}
"""


def _home_with_data(home: Path) -> Path:
    prepare_home(home)
    now = datetime.now(UTC)
    lake = insights_lake.build(home / "lake", now=now, with_segments=False)
    (lake / "reference").mkdir(exist_ok=True)
    (lake / "reference" / "content_catalog.csv").write_text(insights_lake.CATALOG)
    counters = SqliteCounterStore(home / "state" / "counters.db", dedup_ttl_seconds=86_400 * 30)
    counters.apply([LakeRecord.model_validate(row) for row in insights_lake.events(now)])
    counters.close()
    return home


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(home=_home_with_data(tmp_path_factory.mktemp("app-ui")), port=free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(home=tmp_path_factory.mktemp("app-ui-empty"), port=free_port())
    srv.start()
    yield srv
    srv.stop()


def _open(chromium: Any, url: str, width: int) -> tuple[Any, list[str]]:
    page = chromium.new_page(viewport={"width": width, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return page, errors


def _fits(page: Any) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_ui_app_every_page_fits_and_no_labels_overlap(
    chromium: Any, server: Server, name: str, width: int
) -> None:
    # GIVEN a page of the app at a desktop or tablet width
    path, ready = PAGES[name]
    page, errors = _open(chromium, server.url + path, width)
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_timeout(1000)  # charts draw after their data arrives
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    # THEN the page is as wide as the window, its chart labels never overlap, and no script failed
    scroll, client = _fits(page)
    assert scroll <= client, f"{name} at {width}px scrolls sideways ({scroll} > {client})"
    assert page.evaluate(_OVERLAPS) == []
    assert errors == []
    # AND the shell's navigation is there, with this page marked current
    labels = page.locator("nav.shell-nav a").all_inner_texts()
    assert labels[:4] == ["Audience", "Dashboard", "Explorer", "Insights"]
    page.close()


def test_ui_app_home_links_every_page_and_the_keyboard_reaches_them(chromium: Any, server: Server) -> None:
    # GIVEN the home page
    page, errors = _open(chromium, server.url + "/", 1400)
    tiles = page.locator("#pages a.tile")
    assert [t.split("\n")[0] for t in tiles.all_inner_texts()][:3] == ["Dashboard", "Explorer", "Insights"]
    # WHEN each tile is followed THEN its page opens with its nav link marked current
    for label, path in (("Dashboard", "/dashboard"), ("Explorer", "/explorer"), ("Insights", "/insights")):
        page.goto(server.url + "/")
        page.locator("#pages a.tile", has_text=label).click()
        page.wait_for_url(f"**{path}")
        assert page.locator('nav.shell-nav a[aria-current="page"]').inner_text() == label
    # AND the keyboard alone reaches the navigation: skip link first, then the brand and the pages
    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Dashboard"
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")
    assert errors == []
    page.close()


def test_ui_app_dashboard_filters_change_the_view_and_the_url(chromium: Any, server: Server) -> None:
    # GIVEN the dashboard over 7 days
    page, errors = _open(chromium, server.url + "/dashboard?time_range=7d", 1400)
    page.wait_for_selector("body[data-loaded=true]")
    events = page.locator('#kpis .kpi[data-key="events"]').get_attribute("data-value")
    assert events == "11"
    assert page.locator("#top-content tbody tr").first.locator("td.title").inner_text() == "Night Shift"
    # WHEN a platform is chosen
    page.wait_for_function("document.querySelectorAll('select[name=platform] option').length > 1")
    page.select_option("select[name=platform]", "roku")
    page.wait_for_function("document.body.dataset.loadedQuery === 'time_range=7d&platform=roku'")
    # THEN the view follows (3 roku events), the URL holds the filter and a chip shows it
    assert page.locator('#kpis .kpi[data-key="events"]').get_attribute("data-value") == "3"
    assert "platform=roku" in page.url
    assert page.locator('#chips .chip[data-filter="platform"] b').inner_text() == "roku"
    # AND the live panel lists the filtered top content by title
    page.wait_for_function("document.querySelectorAll('#live tbody tr').length === 1")
    assert page.locator("#live tbody tr td").first.inner_text() == "Daily Brief"
    # AND the shared URL opens the same view
    shared = chromium.new_page()
    shared.goto(page.url)
    shared.wait_for_selector("body[data-loaded=true]")
    assert shared.locator("select[name=platform]").input_value() == "roku"
    assert shared.locator('#kpis .kpi[data-key="events"]').get_attribute("data-value") == "3"
    shared.close()
    # WHEN the chip is removed THEN the filter leaves the view and the URL
    page.click('#chips .chip[data-filter="platform"] button')
    page.wait_for_function("document.body.dataset.loadedQuery === 'time_range=7d'")
    assert "platform" not in page.url
    # AND a value the lake does not hold answers empty, saying so
    page.goto(server.url + "/dashboard?time_range=7d&platform=nowhere")
    page.wait_for_selector("body[data-loaded=true]")
    assert "No events with platform=nowhere" in page.inner_text("#top-content")
    assert errors == []
    page.close()


def test_ui_app_dashboard_marks_the_partial_day(chromium: Any, server: Server) -> None:
    page, _ = _open(chromium, server.url + "/dashboard?time_range=7d", 1400)
    page.wait_for_selector("body[data-loaded=true]")
    # THEN today's points (if any events today) are marked partial, earlier days are not
    today = datetime.now(UTC).date().isoformat()
    partial = page.eval_on_selector_all(
        "#over-time circle.point[data-partial=true]", "els => els.map(e => e.dataset.date)"
    )
    assert set(partial) <= {today}
    assert page.locator("#over-time .partial-note").count() == 1
    page.close()


def test_ui_app_explorer_panels_follow_the_method_and_lookalike_reports_precision_and_recall(
    chromium: Any, server: Server
) -> None:
    # GIVEN the Explorer with a comparison and a lookalike under k-means
    page, errors = _open(chromium, server.url + "/explorer", 1400)
    page.wait_for_selector("body[data-loaded=true]")
    assert page.locator("#compare-table").get_attribute("data-method") == "kmeans"
    page.click("#lookalike")
    page.wait_for_selector("#look-result .kpi")
    tiles = page.locator("#look-result .kpi .label").all_text_contents()
    assert tiles == ["Recall on held-out members", "Precision on held-out members"]
    assert "random picking" in page.inner_text("#look-result .kpi >> nth=1")
    # WHEN the method changes
    methods = page.eval_on_selector_all("#method option", "els => els.map(e => e.value)")
    other = next(m for m in methods if m != "kmeans")
    page.select_option("#method", other)
    page.wait_for_function(f"document.body.dataset.method === {other!r}")
    # THEN the comparison is recomputed for it and the k-means lookalike is gone
    assert page.locator("#compare-table").get_attribute("data-method") in (other, None)
    assert page.locator("#look-result .kpi").count() == 0
    assert page.locator("#export-lookalike").is_disabled()
    assert errors == []
    page.close()


def test_ui_app_insights_shows_the_writer_and_traces_every_figure(chromium: Any, server: Server) -> None:
    # GIVEN the Insights page asked for content c-1 over 7 days
    page, errors = _open(chromium, server.url + "/insights?content_id=c-1&time_range=7d", 1400)
    page.wait_for_selector("body[data-loaded=true]")
    # THEN the insight, its writer and the tracing of each figure are shown
    assert page.inner_text("#summary")
    assert "rules writer" in page.inner_text("#writer")
    assert page.locator("#recommendations tbody tr").count() >= 1
    traced = page.locator("#traces tbody tr").count()
    assert traced > 0
    assert page.locator(".fig.untraced").count() == 0
    # WHEN asked again THEN it comes from the store while fresh
    page.click("#go")
    page.wait_for_function("document.querySelector('#served').textContent.includes('store')")
    assert errors == []
    page.close()


def test_ui_app_insights_without_a_subject_says_what_to_do_and_writes_nothing(
    chromium: Any, server: Server
) -> None:
    # GIVEN the Insights page opened with no subject in the URL
    page, errors = _open(chromium, server.url + "/insights", 1400)
    page.wait_for_selector("body[data-loaded=ready]")
    # THEN it says what the button does instead of a blank page, and no insight was asked for
    assert "Get insight" in page.inner_text("#insights-empty")
    assert page.locator("#result").get_attribute("hidden") is not None
    # WHEN the button is pressed THEN the insight replaces the guidance
    page.click("#go")
    page.wait_for_selector("body[data-loaded=true]")
    assert page.inner_text("#summary") and page.locator("#insights-empty .empty").count() == 0
    assert errors == []
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["home", "dashboard", "explorer", "insights"])
def test_ui_app_empty_home_says_what_to_run(
    chromium: Any, empty_server: Server, name: str, width: int
) -> None:
    # GIVEN a new AUDIENCE_HOME (nothing ingested, nothing built)
    page, errors = _open(chromium, f"{empty_server.url}/{'' if name == 'home' else name}", width)
    # THEN each page says what to run, shows no internal message, and still fits its width
    page.wait_for_selector(".empty", timeout=60_000)
    page.wait_for_timeout(300)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"empty-{name}-{width}.png"), full_page=True)
    text = page.inner_text("main")
    assert "make demo" in text
    assert "not available:" not in text and "user_features" not in text
    scroll, client = _fits(page)
    assert scroll <= client
    assert errors == []
    page.close()
