"""POST /social/posts over real HTTP: the key, per-item reasons, quarantine, exactly-once by
(platform, post_id), and the posts in the ``social-posts/`` lake table after a clean stop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from servers import API_KEY, Server, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(home=tmp_path, port=free_port())
    srv.start()
    yield srv
    if srv.proc and srv.proc.poll() is None:
        srv.stop()


def _post(url: str, payload: Any, key: str | None = API_KEY) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["x-api-key"] = key
    content = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return httpx.post(f"{url}/social/posts", content=content, headers=headers, timeout=30)


def _post_body(post_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "post_id": post_id,
        "platform": "bluesky",
        "created_at": "2015-03-01T10:00:00Z",  # historical posts are accepted (replays, backfills)
        "author": {"id": "did:plc:abc", "followers": 10},
        **extra,
    }


def test_social_posts_bad_input_gets_reasons_and_quarantine(server: Server, tmp_path: Path) -> None:
    # GIVEN a running server
    # WHEN requests lack the key, are not JSON, have the wrong shape, or carry bad posts
    assert _post(server.url, {"posts": [_post_body("p1")]}, key=None).status_code == 403
    assert _post(server.url, b"{nope").json()["error"] == "malformed_json"
    wrong = _post(server.url, {"events": []})
    assert wrong.status_code == 400 and "posts" in wrong.json()["message"]
    assert _post(server.url, {"posts": []}).json()["error"] == "no_posts"
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    mixed = _post(
        server.url,
        {
            "posts": [
                _post_body("ok-1"),
                _post_body("bad-1", platform="friendster"),
                _post_body("bad-2", author={"followers": 3}),
                _post_body("bad-3", created_at=future),
                _post_body("bad-4", surprise=True),
                "not an object",
            ]
        },
    )
    # THEN the good post is accepted and each bad one has its reason
    assert mixed.status_code == 207
    body = mixed.json()
    assert body["accepted"] == 1
    reasons = {(r["index"], r["field"], r["code"]) for r in body["rejected"]}
    assert (1, "platform", "enum") in reasons
    assert (2, "author.id", "missing") in reasons
    assert (3, "created_at", "timestamp_in_future") in reasons
    assert (4, "surprise", "extra_forbidden") in reasons
    assert (5, "", "not_an_object") in reasons
    # and the rejects are quarantined under their own prefix with the reasons
    quarantined = list((tmp_path / "lake" / "quarantine" / "social-posts").rglob("*-posts.jsonl"))
    lines = [json.loads(line) for f in quarantined for line in f.read_text().splitlines()]
    assert len(lines) == 5 and all(line["reasons"] for line in lines)


def test_social_posts_are_stored_exactly_once_in_the_lake(server: Server, tmp_path: Path) -> None:
    # GIVEN a batch, sent twice (a client retry), with a duplicate inside
    batch = {"posts": [_post_body("a"), _post_body("b", reshare_of="a"), _post_body("a")]}
    first = _post(server.url, batch)
    second = _post(server.url, batch)
    # THEN the first accepts two and counts one duplicate; the retry is all duplicates
    assert (first.status_code, first.json()["accepted"], first.json()["duplicates"]) == (200, 2, 1)
    assert (second.json()["accepted"], second.json()["duplicates"]) == (0, 3)
    # the same post_id on another platform is another post
    other = _post(server.url, {"posts": [_post_body("a", platform="mastodon")]})
    assert other.json()["accepted"] == 1
    # WHEN the server stops cleanly
    out = server.stop()
    assert "social posts" in out
    # THEN the lake table holds each post once, with the contract's columns
    rows = duckdb.sql(
        f"SELECT post_key, reshare_of, author.followers AS f FROM read_parquet('{tmp_path}/lake/social-posts/**/*.parquet', hive_partitioning=true) ORDER BY post_key"
    ).fetchall()
    assert rows == [("bluesky:a", None, 10), ("bluesky:b", "a", 10), ("mastodon:a", None, 10)]
