"""Identifiers as users have them (contract 1.1) go end to end and come back verbatim.

A URL, an e-mail-like id with ``+``, a title with spaces and a non-ASCII dash, and a string that
looks like SQL: through the HTTP API, the lake, the live counters, the lake SQL of the insights and
the dashboard, the dashboard's HTTP API, the Personalize export and an activation file. The
feature jobs' tables are covered by tests/features/test_glue_identifiers.py (local Spark), the
dashboard and Explorer pages by tests/ui/test_ui_identifiers.py (headless Chromium).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from builders import make_event
from servers import API_KEY, Server, free_port

from audience.activation.export import export_interactions
from audience.core.audience_files import write_export
from audience.ingest.adapters.local.counters import SqliteCounterStore
from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery
from audience.insights.queries import QUERIES

pytestmark = pytest.mark.slow

URL = "https://x.example/watch?v=1&t=2#a"
EMAIL = "jane.doe+news@example.com"
TITLE = "Episode 12 \u2013 Finale"
SQLISH = "c1'; DROP TABLE events;--"
CONTENT = (URL, TITLE, SQLISH, EMAIL)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(home=tmp_path, port=free_port())
    srv.start()
    yield srv
    if srv.proc and srv.proc.poll() is None:
        srv.stop()


def events() -> list[dict[str, object]]:
    now = datetime.now(UTC)
    return [
        make_event(
            event_id=f"{content}#{n}",
            user_id=EMAIL if n % 2 else TITLE,
            content_id=content,
            session_id=URL,
            event_type="view" if n else "like",
            timestamp=(now - timedelta(minutes=5 + n)).isoformat(),
        )
        for content in CONTENT
        for n in range(3)
    ]


def test_identifiers_come_back_verbatim_everywhere(server: Server, tmp_path: Path) -> None:
    # GIVEN events whose ids are a URL, an e-mail with +, a title and an SQL-looking string
    sent = events()
    # WHEN they are posted over HTTP
    answer = httpx.post(
        f"{server.url}/events",
        content=json.dumps({"events": sent}),
        headers={"content-type": "application/json", "x-api-key": API_KEY},
        timeout=30,
    )
    # THEN all are accepted, and the dashboard's live API answers for each id verbatim
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == len(sent)
    live = httpx.get(
        f"{server.url}/api/dashboard/live", params=[("content_id", c) for c in CONTENT], timeout=30
    )
    assert live.status_code == 200, live.text
    assert {i["content_id"]: i["events"] for i in live.json()["items"]} == dict.fromkeys(CONTENT, 3)
    server.stop()  # delivers the spool into the lake

    # the lake holds them verbatim
    glob = f"{tmp_path}/lake/engagement-events/**/*.parquet"
    rows = duckdb.sql(
        f"SELECT event_id, user_id, content_id, session_id FROM read_parquet('{glob}')"
    ).fetchall()
    assert sorted(rows) == sorted(
        (e["event_id"], e["user_id"], e["content_id"], e["session_id"]) for e in sent
    )

    # the live counters are keyed by them
    counters = SqliteCounterStore(tmp_path / "state" / "counters.db", dedup_ttl_seconds=86_400)
    try:
        for content in CONTENT:
            found = counters.content(content)
            assert found is not None and found.content_id == content and found.events == 3
    finally:
        counters.close()

    # the insights' lake SQL binds them as parameters (the SQL-looking one is just an id)
    lake = DuckDBLakeQuery(tmp_path / "lake")
    now = datetime.now(UTC)
    query = QUERIES["top_content:content"]
    for content in CONTENT:
        values = {
            "content_id": content,
            "start": (now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"),
            "end": (now + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
            "year_from": f"{now - timedelta(days=1):%Y}",
            "year_to": f"{now:%Y}",
            "month_from": "01",
            "month_to": "12",
            "start_day": f"{now - timedelta(days=1):%Y-%m-%d}",
        }
        result = lake.run(query.sql, query.bind(values))
        assert [r["content_id"] for r in result] == [content], result
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone() == (len(sent),)

    # the Personalize interactions export keeps them (CSV quoting, not rewriting)
    out = tmp_path / "export" / "interactions.csv"
    export_interactions(tmp_path / "lake", out)
    with out.open(newline="") as f:
        exported = {(r["USER_ID"], r["ITEM_ID"]) for r in csv.DictReader(f)}
    assert exported == {(str(e["user_id"]), str(e["content_id"])) for e in sent}

    # and an activation file lists them verbatim, under a safe file name
    manifest = write_export(
        tmp_path / "activation",
        name=f"fans of {URL}",
        definition={"content_id": URL},
        rows=[{"user_id": EMAIL}, {"user_id": TITLE}],
        source="test",
    )
    assert "/" not in manifest.files["csv"] and "?" not in manifest.files["csv"]
    with (tmp_path / "activation" / manifest.files["csv"]).open(newline="") as f:
        assert [r["user_id"] for r in csv.DictReader(f)] == [EMAIL, TITLE]
    listed = json.loads((tmp_path / "activation" / manifest.files["json"]).read_text())
    assert [r["user_id"] for r in listed] == [EMAIL, TITLE]
