"""Identifiers as users have them, on the pages: the dashboard and the Explorer in headless Chromium.

The ids of tests/api/test_identifiers_end_to_end.py (a URL with ``?&=#``, an e-mail-like id with
``+``, a title with spaces and a non-ASCII dash, a string that looks like SQL) are put in a lake and
in the Explorer's profiles; the pages must show them as text, verbatim, and hand them back verbatim
(the dashboard's live panel asks the API for them by id; the Explorer's export downloads them).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import insights_lake
import pyarrow.parquet as pq
import pytest
from explorer_testkit import AS_OF, small_config
from servers import Server, free_port

from audience.core.objectstore.adapters.local import FolderObjectStore
from audience.datagen.users import users
from audience.datagen.writers import write_users_csv
from audience.explorer.job import JobConfig, run
from audience.explorer.profiles import RICH_FILE, write_rich_csv
from audience.ingest.adapters.local.counters import SqliteCounterStore
from schemas.engagement import LakeRecord

pytestmark = pytest.mark.slow

URL = "https://x.example/watch?v=1&t=2#a"
EMAIL = "jane.doe+news@example.com"
TITLE = "Episode 12 \u2013 Finale"
SQLISH = "c1'; DROP TABLE events;--"
MARKUP = '<b>bold</b> & "quoted"'
IDS = (URL, EMAIL, TITLE, SQLISH)


def _start(home: Path) -> Server:
    server = Server(home=home, port=free_port())
    server.start()
    return server


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # The insights test lake with its two contents renamed to a URL and an SQL-looking id, and its
    # users to the e-mail-like id, the title and markup; only the URL has a catalog title.
    home = tmp_path_factory.mktemp("ids-dashboard")
    renamed = {"c-1": URL, "c-2": SQLISH, "u1": EMAIL, "u2": TITLE, "u3": MARKUP}
    rows = [
        {
            **row,
            "user_id": renamed.get(row["user_id"], row["user_id"]),
            "content_id": renamed[row["content_id"]],
        }
        for row in insights_lake.events(datetime.now(UTC))
    ]
    insights_lake.write_events(home / "lake", rows)
    (home / "lake" / "reference").mkdir()
    (home / "lake" / "reference" / "content_catalog.csv").write_text(
        insights_lake.CATALOG.replace("c-1,", f"{URL},").replace("c-2,Daily Brief", "c-other,Daily Brief")
    )
    counters = SqliteCounterStore(home / "state" / "counters.db", dedup_ttl_seconds=86_400 * 30)
    counters.apply([LakeRecord.model_validate(row) for row in rows])
    counters.close()
    server = _start(home)
    yield server
    server.stop()


def test_dashboard_shows_and_asks_for_identifiers_verbatim(chromium: Any, dashboard_server: Server) -> None:
    # GIVEN the dashboard over 7 days
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{dashboard_server.url}/dashboard")
    page.click("#time-range button[data-value='7d']")
    page.wait_for_function("document.body.dataset.loadedQuery === 'time_range=7d'")
    # THEN the top content is keyed by the ids, the URL by its title and the untitled one by its id
    top = page.eval_on_selector_all(
        "#top-content tbody tr",
        "els => els.map(e => [e.dataset.key, e.querySelector('td.title').textContent])",
    )
    assert top == [[URL, "Night Shift"], [SQLISH, SQLISH]]
    # AND the live panel, which asks the API for those ids, shows their counters
    page.wait_for_function("document.querySelectorAll('#live tbody tr').length === 2")
    live = page.eval_on_selector_all(
        "#live tbody tr", "els => els.map(e => [e.dataset.key, e.querySelector('td').textContent])"
    )
    assert sorted(live) == sorted([[URL, "Night Shift"], [SQLISH, SQLISH]])
    assert page.eval_on_selector_all("#top-content b, #live b", "els => els.length") == 0
    assert errors == []
    page.close()


@pytest.fixture(scope="module")
def explorer_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, dict[str, dict[str, str]]]]:
    # The Explorer's small audience with four users renamed to the ids (profiles and users.csv alike),
    # segmented as `make demo` does.
    home = tmp_path_factory.mktemp("ids-explorer")
    config = small_config()
    data = home / "data"
    write_rich_csv(config, data / RICH_FILE)
    write_users_csv(users(config), data / "users.csv")
    with (data / "users.csv").open(newline="", encoding="utf-8") as handle:
        first = [row["user_id"] for _, row in zip(range(len(IDS)), csv.DictReader(handle), strict=False)]
    renamed = dict(zip(first, IDS, strict=True))
    for name in (RICH_FILE, "users.csv"):
        with (data / name).open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields, rows = list(reader.fieldnames or []), list(reader)
        for row in rows:
            row["user_id"] = renamed.get(row["user_id"], row["user_id"])
        with (data / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    job = JobConfig(
        profiles_csv=data / RICH_FILE, users_csv=data / "users.csv", as_of=AS_OF, k=6, min_users=20
    )
    run(job, FolderObjectStore(home / "lake"))
    assignments = pq.read_table(
        home / "lake" / "segments" / "assignments" / f"as_of={AS_OF.isoformat()}"
    ).to_pylist()
    segments: dict[str, dict[str, str]] = {}
    for row in assignments:
        if row["user_id"] in IDS:
            segments.setdefault(row["method"], {})[row["user_id"]] = row["segment_id"]
    server = _start(home)
    yield server, segments
    server.stop()


def test_explorer_exports_identifiers_verbatim(
    chromium: Any, explorer_server: tuple[Server, dict[str, dict[str, str]]], tmp_path: Path
) -> None:
    # GIVEN the Explorer, and the segments the renamed users were put in
    server, by_method = explorer_server
    page = chromium.new_page(accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/explorer")
    # (the page marks itself loaded, with its method, once the first segment is open: the map draws before)
    page.wait_for_selector("body[data-loaded=true]")
    segment_of = by_method[page.evaluate("document.body.dataset.method")]
    assert set(segment_of) == set(IDS)
    exported: set[str] = set()
    for segment in sorted(set(segment_of.values())):
        # WHEN each such segment is clicked and exported from the page
        page.locator(f'#map g.node[data-segment="{segment}"] circle').click()
        page.wait_for_selector(f'#detail[data-segment="{segment}"]')
        with page.expect_download() as info:
            page.click("#export-segment")
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        with path.open(newline="", encoding="utf-8") as handle:
            members = {row["user_id"] for row in csv.DictReader(handle)}
        # THEN the downloaded CSV lists the segment's renamed users byte for byte
        assert {i for i, s in segment_of.items() if s == segment} <= members, segment
        exported |= members
    assert set(IDS) <= exported
    assert errors == []
    page.close()
