"""Bluesky Jetstream frames into the social post contract, with the resume cursor.

Jetstream (``wss://jetstream2.us-east.bsky.network/subscribe``) sends one JSON object per message:
``{"did", "time_us", "kind": "commit" | "identity" | "account", "commit": {"operation", "collection",
"rkey", "record", "cid", "rev"}}``. Posts are ``app.bsky.feed.post`` creates (a quote is an embed of
a record, a reply has ``reply.parent``); reposts are ``app.bsky.feed.repost`` creates whose
``subject.uri`` is the reposted post. Other kinds and collections (likes, follows, deletes) are
skipped but still advance the cursor.

The cursor is the last processed ``time_us``. To resume, connect with ``?cursor=<time_us minus a
safety margin>``: Jetstream replays from there, and ``(platform, post_id)`` deduplication at the API
makes the overlap harmless, so nothing is lost between runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlencode

POST: Final = "app.bsky.feed.post"
REPOST: Final = "app.bsky.feed.repost"
RESUME_MARGIN_US: Final = 5_000_000
"""Rewind five seconds on resume (Jetstream's own advice): duplicates are dropped downstream."""


def post_uri(did: str, collection: str, rkey: str) -> str:
    return f"at://{did}/{collection}/{rkey}"


def subscribe_url(base: str, cursor: int | None, collections: Iterable[str] = (POST, REPOST)) -> str:
    params: list[tuple[str, str]] = [("wantedCollections", c) for c in collections]
    if cursor is not None:
        params.append(("cursor", str(max(0, cursor - RESUME_MARGIN_US))))
    return f"{base}?{urlencode(params)}"


def _time(record: Mapping[str, Any], time_us: int) -> str:
    created = record.get("createdAt")
    if isinstance(created, str):
        try:
            parsed = datetime.fromisoformat(created.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC).isoformat()
        except ValueError:
            pass
    return datetime.fromtimestamp(time_us / 1e6, UTC).isoformat()


def _hashtags(record: Mapping[str, Any]) -> list[str]:
    tags = [t for t in record.get("tags", []) if isinstance(t, str)]
    for facet in record.get("facets", []) or []:
        for feature in facet.get("features", []) or []:
            if feature.get("$type") == "app.bsky.richtext.facet#tag" and isinstance(feature.get("tag"), str):
                tags.append(feature["tag"])
    return list(dict.fromkeys(t for t in tags if t.strip()))[:100]


def _quoted(record: Mapping[str, Any]) -> str | None:
    embed = record.get("embed") or {}
    kind = embed.get("$type")
    if kind == "app.bsky.embed.record":
        uri = (embed.get("record") or {}).get("uri")
    elif kind == "app.bsky.embed.recordWithMedia":
        uri = ((embed.get("record") or {}).get("record") or {}).get("uri")
    else:
        uri = None
    return uri if isinstance(uri, str) and "/app.bsky.feed.post/" in uri else None


def from_frame(frame: Mapping[str, Any]) -> dict[str, Any] | None:
    """A contract post from one Jetstream message, or ``None`` if the message is not a new post/repost."""
    if frame.get("kind") != "commit":
        return None
    commit = frame.get("commit") or {}
    if commit.get("operation") != "create" or commit.get("collection") not in (POST, REPOST):
        return None
    did, rkey, record = frame.get("did"), commit.get("rkey"), commit.get("record") or {}
    if not isinstance(did, str) or not isinstance(rkey, str):
        return None
    collection = commit["collection"]
    post: dict[str, Any] = {
        "post_id": post_uri(did, collection, rkey),
        "platform": "bluesky",
        "created_at": _time(record, int(frame.get("time_us", 0))),
        "author": {"id": did},
    }
    if collection == REPOST:
        subject = (record.get("subject") or {}).get("uri")
        if not isinstance(subject, str):
            return None
        post["reshare_of"] = subject
        return post
    text = record.get("text")
    if isinstance(text, str) and text:
        post["text"] = text[:10_000]
    langs = record.get("langs") or []
    if langs and isinstance(langs[0], str):
        post["lang"] = langs[0]
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
    if isinstance(parent, str):
        post["reply_to"] = parent
    quoted = _quoted(record)
    if quoted:
        post["quote_of"] = quoted
    tags = _hashtags(record)
    if tags:
        post["hashtags"] = tags
    return post


@dataclass
class Batch:
    posts: list[dict[str, Any]]
    cursor: int | None
    frames: int
    skipped: int


def read_frames(
    messages: Iterable[str | bytes], cursor: int | None = None
) -> Iterator[tuple[int | None, dict[str, Any] | None]]:
    """``(time_us, post or None)`` per message; a message that is not JSON is skipped (``None``, ``None``)."""
    for message in messages:
        try:
            frame = json.loads(message)
        except (json.JSONDecodeError, UnicodeDecodeError):
            yield None, None
            continue
        if not isinstance(frame, dict):
            yield None, None
            continue
        time_us = frame.get("time_us")
        at = int(time_us) if isinstance(time_us, int) else None
        if cursor is not None and at is not None and at <= cursor - RESUME_MARGIN_US:
            continue  # replayed from before the resume point
        yield at, from_frame(frame)
