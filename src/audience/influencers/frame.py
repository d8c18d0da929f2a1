"""The posts frame: contract posts (or lake rows) as the columns the cascade and signal logic read."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from pydantic import ValidationError

from schemas.social import SocialPost

FRAME_COLUMNS: Final = (
    "post_key",
    "post_id",
    "platform",
    "parent_key",
    "author_id",
    "created_ts",
    "followers",
    "following",
    "author_country",
    "like_count",
    "reply_count",
    "reshare_count",
    "text",
    "lang",
    "hashtags",
    "country",
)


def parent_key(platform: str, reshare_of: str | None, quote_of: str | None) -> str | None:
    """What a post spreads: a reshare, else a quote (a reshare with a comment). Replies do not spread."""
    target = reshare_of or quote_of
    return f"{platform}:{target}" if target else None


def post_row(post: SocialPost) -> tuple[Any, ...]:
    a = post.author
    platform = post.platform.value
    return (
        post.post_key,
        post.post_id,
        platform,
        parent_key(platform, post.reshare_of, post.quote_of),
        a.id,
        post.created_at.timestamp(),
        np.nan if a.followers is None else float(a.followers),
        np.nan if a.following is None else float(a.following),
        a.country,
        np.nan if post.like_count is None else float(post.like_count),
        np.nan if post.reply_count is None else float(post.reply_count),
        np.nan if post.reshare_count is None else float(post.reshare_count),
        post.text,
        post.lang,
        list(post.hashtags),
        post.country,
    )


def posts_frame(posts: Iterable[SocialPost]) -> pd.DataFrame:
    """Deduplicated by ``(platform, post_id)``: the first occurrence wins, as the ingest API does."""
    frame = pd.DataFrame([post_row(p) for p in posts], columns=list(FRAME_COLUMNS))
    return frame.drop_duplicates("post_key", keep="first").reset_index(drop=True)


@dataclass
class ReadReport:
    lines: int = 0
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def read_posts_jsonl(lines: Iterable[str], report: ReadReport) -> Iterator[SocialPost]:
    """Contract posts from JSON lines; a bad line is kept in ``report.rejected`` with its reasons."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        report.lines += 1
        try:
            raw = json.loads(line)
            post = SocialPost.model_validate(raw)
        except json.JSONDecodeError as exc:
            report.rejected.append(
                {"line": number, "reasons": [{"field": "", "message": f"not JSON: {exc.msg}"}]}
            )
            continue
        except ValidationError as exc:
            report.rejected.append(
                {
                    "line": number,
                    "reasons": [
                        {"field": ".".join(str(p) for p in e["loc"]), "code": e["type"], "message": e["msg"]}
                        for e in exc.errors(include_url=False)
                    ],
                }
            )
            continue
        report.accepted += 1
        yield post
