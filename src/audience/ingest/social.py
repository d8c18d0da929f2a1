"""Social posts through the ingestion machinery: the ``posts`` record kind of ``POST /social/posts``.

Everything but the per-item check is the engagement path's (:class:`~audience.ingest.service.IngestService`):
request checks, quarantine with reasons, exactly-once by key, delivery with retries, 503 on storage
failure. The check differs in one way: a post's ``created_at`` is when it was *posted*, so research
replays and backfills of old posts are accepted (the lake partitions by arrival); only a post from
the future is refused.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from audience.ingest.service import IngestLimits, RecordKind, Rejection, RequestContext
from schemas.social import SocialLakeRecord, SocialPost

QUARANTINE_PREFIX = "quarantine/social-posts"


def validate_post(
    raw: Any, index: int, limits: IngestLimits, ctx: RequestContext
) -> SocialLakeRecord | list[Rejection]:
    key = None
    if isinstance(raw, dict) and isinstance(raw.get("post_id"), str) and isinstance(raw.get("platform"), str):
        key = f"{raw['platform']}:{raw['post_id']}"
    if not isinstance(raw, dict):
        return [Rejection(index, "", "not_an_object", "each post must be a JSON object", key)]
    try:
        size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
    except UnicodeEncodeError:
        return [Rejection(index, "", "invalid_unicode", "post contains an unpaired UTF-16 surrogate", key)]
    if size > limits.max_event_bytes:
        return [
            Rejection(
                index,
                "",
                "post_too_large",
                f"post is {size} bytes; the limit is {limits.max_event_bytes}",
                key,
            )
        ]
    try:
        post = SocialPost.model_validate(raw)
    except ValidationError as exc:
        return [
            Rejection(index, ".".join(str(p) for p in err["loc"]), err["type"], err["msg"], key)
            for err in exc.errors(include_url=False)
        ]
    if post.created_at > ctx.received_at + limits.max_future:
        return [
            Rejection(
                index,
                "created_at",
                "timestamp_in_future",
                f"created_at is more than {int(limits.max_future.total_seconds())} s ahead of the server clock",
                key,
            )
        ]
    return SocialLakeRecord.from_post(
        post, ingested_at=ctx.received_at, request_id=ctx.request_id, ingest_source=ctx.source
    )


SOCIAL_POSTS: RecordKind[SocialLakeRecord] = RecordKind("posts", validate_post, QUARANTINE_PREFIX)
