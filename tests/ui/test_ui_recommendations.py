"""The Recommendations page in headless Chromium at desktop (1400 px) and tablet (768 px) widths,
against a real local server whose AUDIENCE_HOME holds a real (small) run's report and A/B."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import Server, free_port

from audience.recommend.adapters.local.sqlite_table import SqliteRecommendationTable
from audience.recommend.online import ListOutcome, analyse
from audience.recommend.stage import run_local
from audience.recommend.wiring import recipe_factories

pytestmark = pytest.mark.slow
GENRES = ["Drama", "Comedy", "Action", "Horror"]


def _run(home: Path) -> dict[str, Any]:
    data = home / "in"
    data.mkdir(parents=True)
    (data / "items.csv").write_text(
        "ITEM_ID,GENRES,CONTENT_TYPE,CREATION_TIMESTAMP\n"
        + "".join(f"i{n},{GENRES[n % 4]},video,{1_700_000_000 - n * 86_400}\n" for n in range(60))
    )
    (data / "catalog.csv").write_text(
        "content_id,title\n" + "".join(f"i{n},<b>Title {n}</b>\n" for n in range(60))
    )
    rows = [
        f"u{u},i{(u * 7 + k * (u % 4 + 1)) % 60},view,,{1_700_000_000 + k * 3600}\n"
        for u in range(80)
        for k in range(12)
    ]
    (data / "interactions.csv").write_text(
        "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n" + "".join(rows)
    )
    (data / "users.csv").write_text("USER_ID\n" + "".join(f"u{u}\n" for u in range(84)))
    report = run_local(
        home=home, interactions=data / "interactions.csv", items=data / "items.csv", users=data / "users.csv",
        recommenders=recipe_factories(), table=SqliteRecommendationTable(home / "state" / "recommendations.db"),
        catalog_csv=data / "catalog.csv", num_results=10,
    )  # fmt: skip
    outcomes = [
        ListOutcome(f"{v}{n}", f"{v}-u{n % 50}", v, f"2026-11-20 12:{n % 60:02d}:00.000000", False,
                    int(n % 10 < (7 if v == "personalize" else 5)), 0, 30.0 + n % 7)
        for v in ("baseline", "personalize") for n in range(200)
    ]  # fmt: skip
    (home / "recommend" / "ab.json").write_text(json.dumps(analyse(outcomes)))
    return report


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, Any]]]:
    home = tmp_path_factory.mktemp("recs-ui")
    report = _run(home)
    srv = Server(home=home, port=free_port())
    srv.start()
    yield srv, report
    srv.stop()


@pytest.mark.parametrize("width", [1400, 768])
def test_ui_recommendations_page_draws_every_view(
    chromium: Any, served: tuple[Server, dict[str, Any]], width: int, tmp_path: Path
) -> None:
    server, report = served
    # GIVEN the page at this width
    page = chromium.new_page(viewport={"width": width, "height": 1000})
    page.goto(f"{server.url}/recommendations")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=20_000)
    # THEN the accuracy bars have one bar and one interval per recipe and metric
    assert page.eval_on_selector_all("#metrics rect.bar", "e => e.length") == 18
    assert page.eval_on_selector_all("#metrics line.ci", "e => e.length") == 18
    # AND the RBO histogram, the rank-shift scatter and the coverage table are drawn from the report
    assert page.eval_on_selector_all("#rbo rect.bar", "e => e.length") == 10
    assert page.eval_on_selector_all("#shift circle.dot", "e => e.length") == len(
        report["offline"]["lists"]["rank_shifts"]
    )
    assert page.eval_on_selector_all("#coverage tr", "e => e.length") == 6
    # AND the A/B shows both arms and their lines over time
    assert page.eval_on_selector_all(".ab-cell", "e => e.length") == 2
    ab = json.loads((server.home / "recommend" / "ab.json").read_text())
    verdict = "intervals overlap" if ab["tests"]["ctr_intervals_overlap"] else "intervals do not overlap"
    assert verdict in page.inner_text(".ab-verdict")
    assert page.eval_on_selector_all("#ab-time path.line", "e => e.length") == 2
    # AND the side-by-side lists show titles as text (markup in a title is never injected)
    first = report["side_by_side"][0]
    assert page.eval_on_selector_all("#list-personalize li", "e => e.length") == len(first["personalize"])
    assert page.inner_text("#list-baseline li >> nth=0").startswith("<b>Title")
    assert page.eval_on_selector_all("#list-baseline li b", "e => e.length") == 0
    page.select_option("#user", "1")
    assert page.inner_text("#user option:checked") == report["side_by_side"][1]["user_id"]
    # AND nothing overflows the viewport, and the nav marks this page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_attribute("nav a[aria-current=page]", "href") == "/recommendations"
    page.screenshot(path=str(tmp_path / f"recommendations-{width}.png"), full_page=True)
    page.close()


def test_ui_recommendations_page_explains_a_missing_run(chromium: Any, tmp_path: Path) -> None:
    # GIVEN a server with no run yet
    srv = Server(home=tmp_path, port=free_port())
    srv.start()
    try:
        page = chromium.new_page()
        page.goto(f"{srv.url}/recommendations")
        page.wait_for_selector("#empty:not([hidden])")
        # THEN the page says what to run
        assert "make recommend" in page.inner_text("#empty")
        page.close()
    finally:
        srv.stop()
