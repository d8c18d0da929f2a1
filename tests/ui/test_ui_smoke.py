"""The browser harness itself: Chromium loads a page from the local server and runs its script."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import Server, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(home=tmp_path, port=free_port())
    srv.start()
    yield srv
    srv.stop()


def test_ui_chromium_fetches_d3_from_the_local_server(chromium: Any, server: Server) -> None:
    # GIVEN a page in headless Chromium
    page = chromium.new_page()
    # WHEN it loads D3 from the local server (installed from npm by the setup, not a CDN)
    page.goto(f"{server.url}/health")
    page.add_script_tag(url=f"{server.url}/static/vendor/d3.min.js")
    # THEN the library runs in the page
    assert page.evaluate("d3.version") == "7.9.2"
    page.close()
