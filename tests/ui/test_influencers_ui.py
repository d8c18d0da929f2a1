"""The Influencers page in headless Chromium at desktop and tablet widths, against a real local server
whose serving store holds a scoring run of the generated network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import Server, free_port

from audience.datagen.social import SocialConfig, generate_network
from audience.influencers.adapters.local.store import SqliteResultStore
from audience.influencers.adapters.local.vader import VaderScorer
from audience.influencers.frame import posts_frame
from audience.influencers.scoring import cascade_records, influencer_records, run_document, score
from schemas.social import SocialPost

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[2] / ".audience" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("home")
    network = generate_network(SocialConfig(accounts=800, planted=10, rings=2))
    result = score(
        posts_frame(SocialPost.model_validate(p) for p in network.posts), network.as_of, VaderScorer()
    )
    influencers = influencer_records(result)
    store = SqliteResultStore(home / "state" / "influencers.db")
    store.save_run(run_document(result, influencers, cascade_records(result)))
    store.close()
    srv = Server(home=home, port=free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("width", [1400, 768])
def test_ui_influencers_page_renders_and_allocates(chromium: Any, server: Server, width: int) -> None:
    # GIVEN the page at this width
    page = chromium.new_page(viewport={"width": width, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/influencers")
    page.wait_for_selector("#inf-leaderboard tbody tr")
    # THEN every view is drawn from the run
    assert page.locator("#inf-summary .inf-stat").count() == 5
    assert page.locator("#inf-graph circle").count() > 10
    assert page.locator("#inf-graph circle.top").count() >= 5
    assert page.locator("#inf-cascade circle").count() > 1
    assert page.locator("#inf-rising tbody tr").count() >= 1
    assert page.locator("#inf-geo rect").count() >= 3
    assert page.locator("#inf-sentiment path").count() >= 1
    assert page.locator("#inf-flagged li").count() >= 6
    assert "coordinated_resharing" in page.inner_text("#inf-flagged")
    # WHEN the leaderboard is sorted by followers (descending)
    page.click("#inf-leaderboard th[data-key=followers]")
    assert page.get_attribute("#inf-leaderboard th[data-key=followers]", "aria-sort") == "descending"
    followers = page.eval_on_selector_all(
        "#inf-leaderboard tbody tr", "rows => rows.map(r => r.children[7].textContent)"
    )
    values = [float(v.replace(",", "")) for v in followers if v != "\u2013"]
    assert values == sorted(values, reverse=True)
    # WHEN a budget is allocated
    page.fill("input[name=budget]", "1500")
    page.click("#inf-alloc-form button[type=submit]")
    page.wait_for_selector("#inf-alloc-table tbody tr")
    assert "reach vs naive" in page.inner_text("#inf-alloc-summary")
    costs = page.eval_on_selector_all(
        "#inf-alloc-table tbody tr", "rows => rows.map(r => r.children[3].textContent)"
    )
    assert sum(float(c.replace(",", "")) for c in costs) <= 1500
    # and exported through the file export
    page.click("#inf-export")
    page.wait_for_function("document.getElementById('inf-export-result').textContent.includes('Exported')")
    assert (server.home / "lake" / "exports" / "influencers").is_dir()
    # an impossible request gets its reason on the page
    page.fill("input[name=minimums]", "NZ:100000")
    page.click("#inf-alloc-form button[type=submit]")
    page.wait_for_function(
        "document.getElementById('inf-alloc-summary').textContent.includes('Cannot allocate')"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"influencers-{width}.png"), full_page=True)
    assert errors == []
    page.close()


def test_influencers_api_bad_input_is_400(server: Server) -> None:
    import httpx

    bad = httpx.post(f"{server.url}/api/influencers/allocate", json={"budget": -5}, timeout=30)
    assert bad.status_code == 400 and "budget" in bad.json()["error"]
    card = httpx.post(
        f"{server.url}/api/influencers/allocate", json={"budget": 10, "rate_card": "who,price\n"}, timeout=30
    )
    assert card.status_code == 400 and "author_id" in card.json()["error"]
    export = httpx.post(f"{server.url}/api/influencers/export", json={"rows": []}, timeout=30)
    assert export.status_code == 400
