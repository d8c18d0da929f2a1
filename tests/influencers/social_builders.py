"""Builders of contract posts for the influencers tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def post(
    post_id: str,
    author: str,
    minutes: float = 0.0,
    *,
    reshare_of: str | None = None,
    followers: int | None = None,
    following: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "post_id": post_id,
        "platform": "twitter",
        "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "author": {"id": author},
    }
    if followers is not None:
        body["author"]["followers"] = followers
    if following is not None:
        body["author"]["following"] = following
    if reshare_of:
        body["reshare_of"] = reshare_of
    body.update(extra)
    return body


def shared_data() -> Path:
    """The reference data beside the checkout (``../shared/data``); ``AUDIENCE_SHARED_DATA`` overrides it
    (a worktree nested deeper than a clone)."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return Path(os.environ.get("AUDIENCE_SHARED_DATA", default))
