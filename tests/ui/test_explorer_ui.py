"""The Explorer in headless Chromium against a real local server on a prepared lake."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from explorer_testkit import prepare_home
from servers import Server, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("explorer-ui")
    prepare_home(home)
    srv = Server(home=home, port=free_port())
    srv.start()
    yield srv
    srv.stop()


def test_explorer_ui_click_segment_shows_attributes_and_exports(
    chromium: Any, server: Server, tmp_path: Path
) -> None:
    # GIVEN the Explorer page in headless Chromium
    page = chromium.new_page(accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/explorer")
    page.wait_for_selector("#map g.node")
    bubbles = page.locator("#map g.node")
    assert bubbles.count() == 6
    # WHEN the third bubble is clicked
    target = bubbles.nth(2)
    segment_id = target.get_attribute("data-segment")
    target.locator("circle").click()
    page.wait_for_selector(f'#detail[data-segment="{segment_id}"]')
    # THEN its name, size and defining attributes (with lift) are shown
    assert page.locator("#seg-meta").inner_text().startswith(f"{segment_id} · ")
    rows = page.locator("#defining tbody tr")
    assert rows.count() == 8
    assert "\u00d7" in rows.nth(0).inner_text()  # the lift column: x2.31
    assert page.locator("#heatmap rect.heat-cell").count() == 6 * 3
    # AND exporting downloads the segment's CSV
    with page.expect_download() as info:
        page.click("#export-segment")
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with path.open() as handle:
        ids = [row["user_id"] for row in csv.DictReader(handle)]
    size = int(page.locator("#seg-meta").inner_text().split(" · ")[1].split()[0].replace(",", ""))
    assert len(ids) == size and segment_id in download.suggested_filename
    assert errors == []
    page.close()


def test_explorer_ui_lookalike_shows_quality_and_bad_size_reason(chromium: Any, server: Server) -> None:
    # GIVEN the page with a segment open
    page = chromium.new_page()
    page.goto(f"{server.url}/explorer")
    page.wait_for_selector("#detail:not([hidden])")
    # WHEN a lookalike of 0 users is asked for, then one of 100
    page.fill("#look-size", "0")
    page.click("#lookalike")
    page.wait_for_function("document.querySelector('#look-error').textContent.length > 0")
    reason = page.locator("#look-error").inner_text()
    page.fill("#look-size", "100")
    page.click("#lookalike")
    page.wait_for_selector(".quality")
    # THEN the 400's reason is shown, then the holdout recall against random
    assert "size must be between 1" in reason
    quality = page.locator(".quality").inner_text()
    assert "random picking" in quality and "PRECISION ON HELD-OUT MEMBERS" in quality.upper()
    page.close()
