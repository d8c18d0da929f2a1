"""Headless Chromium for UI tests: Debian's browser (``make browser``), driven by playwright.

Playwright is pointed at ``/usr/bin/chromium`` and never downloads a browser of its own. The
background-networking flags keep Chromium from reaching out to a network this machine does not have.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """A headless Chromium (a playwright ``Browser``); fails, never skips, when it is missing."""
    from playwright.sync_api import sync_playwright

    path = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    assert path, "Chromium is missing: `make browser` installs it"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(path), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
