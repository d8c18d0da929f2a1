"""The social post data contract: the one source every social-post schema is derived from.

A post is what a connector (Twitter/X, Bluesky Jetstream, a research-file replay) or a client sends
to ``POST /social/posts``. The same policy as engagement events applies (``schemas/README.md``):
unknown fields are rejected with a reason, types are strict, timestamps carry a UTC offset, country
codes are ISO 3166-1 alpha-2. Follower counts are optional because many sources lack them.

Posts are deduplicated by ``(platform, post_id)``: :attr:`SocialLakeRecord.post_key` is that pair,
and the ingest machinery's exactly-once ledger keys on it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, field_serializer

from schemas.engagement import (
    CountryCode,
    UtcTimestamp,
    format_lake_timestamp,
    parse_lake_timestamp,
)

SOCIAL_SCHEMA_VERSION: Final = "1.0"
SOCIAL_POSTS_PREFIX: Final = "social-posts"
"""The lake table's prefix: ``social-posts/year=/month=/day=/`` (arrival date, as Firehose writes)."""


class Platform(StrEnum):
    TWITTER = "twitter"
    X = "x"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    OTHER = "other"


PostId = Annotated[
    str,
    Strict(),
    # Bluesky's at:// URIs and Mastodon URLs are post ids too: printable, no spaces, bounded.
    StringConstraints(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9][\x21-\x7e]*$"),
]
AccountId = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9][\x21-\x7e]*$")
]
Handle = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]
Tag = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=140, strip_whitespace=True)]
LangCode = Annotated[
    str, Strict(), StringConstraints(min_length=2, max_length=35, pattern=r"^[A-Za-z0-9-]+$")
]
Count = Annotated[int, Strict(), Field(ge=0, le=10_000_000_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Author(_Strict):
    """The account that posted. Only ``id`` is required: many sources give no counts."""

    id: AccountId = Field(description="The platform's account id (Bluesky: the DID).")
    handle: Handle | None = Field(default=None, description="Screen name or handle, without '@'.")
    followers: Count | None = Field(default=None, description="Followers when the post was seen.")
    following: Count | None = Field(default=None, description="Accounts this account follows.")
    verified: bool | None = Field(default=None)
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. 'AU'.")


class SocialPost(_Strict):
    """One social post as a connector or client sends it to ``POST /social/posts``."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"title": "SocialPost", "$id": "urn:audience:social-post:1.0"},
    )

    post_id: PostId = Field(description="The platform's post id; with platform, the deduplication key.")
    platform: Platform
    created_at: UtcTimestamp = Field(description="ISO-8601 with a UTC offset; normalised to UTC.")
    author: Author
    reshare_of: PostId | None = Field(
        default=None, description="Post id this post reshares (retweet, repost)."
    )
    reply_to: PostId | None = Field(default=None, description="Post id this post replies to.")
    quote_of: PostId | None = Field(default=None, description="Post id this post quotes.")
    text: Annotated[str, Strict(), StringConstraints(max_length=10_000)] | None = None
    lang: LangCode | None = Field(default=None, description="BCP-47 language tag, e.g. 'en'.")
    hashtags: list[Tag] = Field(default_factory=list, max_length=100, description="Without '#'.")
    mentions: list[Handle] = Field(default_factory=list, max_length=100, description="Handles mentioned.")
    like_count: Count | None = None
    reshare_count: Count | None = None
    reply_count: Count | None = None
    country: CountryCode | None = Field(default=None, description="Where the post was made, if known.")

    @property
    def post_key(self) -> str:
        return f"{self.platform.value}:{self.post_id}"


class SocialPostBatch(BaseModel):
    """The request body of ``POST /social/posts``. Items are validated one by one, so they stay raw."""

    model_config = ConfigDict(extra="forbid", strict=True)

    posts: list[dict[str, Any]] = Field(min_length=1)


class LakeAuthor(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    handle: str | None
    followers: int | None
    following: int | None
    verified: bool | None
    country: str | None


class SocialLakeRecord(BaseModel):
    """An accepted post as written to the lake (Firehose record and Parquet row of ``social-posts/``).

    Timestamps travel in the Hive JSON SerDe's ``yyyy-MM-dd HH:mm:ss.ffffff`` form, as for events.
    """

    model_config = ConfigDict(frozen=True)

    post_key: str = Field(description="'<platform>:<post_id>': the deduplication key.")
    schema_version: str
    post_id: str
    platform: str
    created_at: datetime
    author: LakeAuthor
    reshare_of: str | None
    reply_to: str | None
    quote_of: str | None
    text: str | None
    lang: str | None
    hashtags: list[str]
    mentions: list[str]
    like_count: int | None
    reshare_count: int | None
    reply_count: int | None
    country: str | None
    ingested_at: datetime
    request_id: str
    ingest_source: str

    @property
    def event_id(self) -> str:
        """The ingest machinery's idempotency key (the sink and the ledger key on it)."""
        return self.post_key

    @classmethod
    def from_post(
        cls, post: SocialPost, *, ingested_at: datetime, request_id: str, ingest_source: str
    ) -> SocialLakeRecord:
        a = post.author
        return cls.model_construct(
            post_key=post.post_key,
            schema_version=SOCIAL_SCHEMA_VERSION,
            post_id=post.post_id,
            platform=post.platform.value,
            created_at=post.created_at,
            author=LakeAuthor.model_construct(
                id=a.id,
                handle=a.handle,
                followers=a.followers,
                following=a.following,
                verified=a.verified,
                country=a.country,
            ),
            reshare_of=post.reshare_of,
            reply_to=post.reply_to,
            quote_of=post.quote_of,
            text=post.text,
            lang=post.lang,
            hashtags=list(post.hashtags),
            mentions=list(post.mentions),
            like_count=post.like_count,
            reshare_count=post.reshare_count,
            reply_count=post.reply_count,
            country=post.country,
            ingested_at=ingested_at.astimezone(UTC),
            request_id=request_id,
            ingest_source=ingest_source,
        )

    @field_serializer("created_at", "ingested_at", when_used="json")
    def _serde_timestamp(self, value: datetime) -> str:
        return format_lake_timestamp(value)

    @cached_property
    def json_line(self) -> str:
        return self.model_dump_json() + "\n"

    def to_json_line(self) -> str:
        return self.json_line

    @classmethod
    def from_json_line(cls, line: str | bytes) -> SocialLakeRecord:
        body = json.loads(line)
        body["created_at"] = parse_lake_timestamp(body["created_at"])
        body["ingested_at"] = parse_lake_timestamp(body["ingested_at"])
        return cls.model_validate(body)

    def to_post(self) -> SocialPost:
        """Back to the contract (the scoring reads lake rows and contract lines the same way)."""
        author = {k: v for k, v in self.author.model_dump().items() if v is not None}
        body: dict[str, Any] = {
            "post_id": self.post_id,
            "platform": self.platform,
            "created_at": self.created_at.isoformat(),
            "author": author,
            "hashtags": self.hashtags,
            "mentions": self.mentions,
        }
        for name in (
            "reshare_of",
            "reply_to",
            "quote_of",
            "text",
            "lang",
            "like_count",
            "reshare_count",
            "reply_count",
            "country",
        ):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return SocialPost.model_validate(body)


class InfluencerCascadeRow(BaseModel):
    """One cascade of a scoring run (``influencers/cascades/as_of=YYYY-MM-DD-HH-mm/``)."""

    model_config = ConfigDict(frozen=True)

    root_post_id: str
    author_id: str
    size: int
    depth: int
    structural_virality: float | None
    predicted_final_size: float | None
    breadth: int
    platform: str
    created_at: str | None
    last_reshare_at: str | None


class InfluencerScoreRow(BaseModel):
    """One author of a scoring run (``influencers/scores/as_of=YYYY-MM-DD-HH-mm/``)."""

    model_config = ConfigDict(frozen=True)

    author_id: str
    rank: int
    influence_score: float | None
    posts: float | None
    original_posts: float | None
    followers: float | None
    following: float | None
    reshares_received: float | None
    authentic_reshares: float | None
    likes_received: float | None
    replies_received: float | None
    unique_resharers: float | None
    resharer_reach: float | None
    cascade_reach: float | None
    engagement_rate: float | None
    pagerank: float | None
    sentiment: float | None
    flag_codes: list[str]
    flag_reasons: list[str]


RESULT_TABLES: Final[dict[str, type[BaseModel]]] = {
    "cascades": InfluencerCascadeRow,
    "scores": InfluencerScoreRow,
}
"""The scoring job's lake tables under ``influencers/<name>/``, partitioned by ``as_of``."""
