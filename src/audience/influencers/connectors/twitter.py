"""Twitter/X API v1.1 and v2 JSON into the social post contract.

* v1.1: a status object per line (streaming API, ``statuses/*`` timelines). A retweet embeds the
  retweeted status in ``retweeted_status``: both become posts (the original with its own counts),
  so the cascade keeps its root even when the original was never seen on its own.
* v2: a response ``{"data": ..., "includes": {"users": [...], "tweets": [...]}}``, the user and the
  referenced tweets joined from ``includes``.

Fields a source encrypts or garbles (the auspol sample encrypts every text field) are kept where the
contract takes any text, and dropped where it needs a shape (a language tag, a country code), so one
odd field never costs the post.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pycountry

_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)


def _lang(value: Any) -> str | None:
    return value if isinstance(value, str) and _LANG.match(value) and value != "und" else None


def _country(value: Any) -> str | None:
    if isinstance(value, str) and value.upper() in _COUNTRIES:
        return value.upper()
    return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _v1_time(value: str) -> str:
    return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC).isoformat()


def _drop_none(post: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in post.items() if v is not None and v != []}


def _v1_author(user: Mapping[str, Any]) -> dict[str, Any]:
    return _drop_none(
        {
            "id": str(user.get("id_str") or user["id"]),
            "handle": user.get("screen_name") or None,
            "followers": _count(user.get("followers_count")),
            "following": _count(user.get("friends_count")),
            "verified": user.get("verified") if isinstance(user.get("verified"), bool) else None,
        }
    )


def from_v1(status: Mapping[str, Any], *, platform: str = "twitter") -> list[dict[str, Any]]:
    """A v1.1 status as contract posts: the retweeted original first (if any), then the status."""
    posts: list[dict[str, Any]] = []
    original = status.get("retweeted_status")
    if isinstance(original, Mapping):
        posts.extend(from_v1(original, platform=platform))
    entities = status.get("extended_tweet", {}).get("entities") or status.get("entities") or {}
    place = status.get("place") or {}
    post = _drop_none(
        {
            "post_id": str(status.get("id_str") or status["id"]),
            "platform": platform,
            "created_at": _v1_time(status["created_at"]),
            "author": _v1_author(status["user"]),
            "reshare_of": str(original.get("id_str") or original["id"])
            if isinstance(original, Mapping)
            else None,
            "reply_to": status.get("in_reply_to_status_id_str") or None,
            "quote_of": status.get("quoted_status_id_str") or None,
            "text": status.get("extended_tweet", {}).get("full_text")
            or status.get("full_text")
            or status.get("text"),
            "lang": _lang(status.get("lang")),
            "hashtags": [h["text"] for h in entities.get("hashtags", []) if h.get("text")][:100],
            "mentions": [m["screen_name"] for m in entities.get("user_mentions", []) if m.get("screen_name")][
                :100
            ],
            "like_count": _count(status.get("favorite_count")),
            "reshare_count": _count(status.get("retweet_count")),
            "reply_count": _count(status.get("reply_count")),
            "country": _country(place.get("country_code") if isinstance(place, Mapping) else None),
        }
    )
    posts.append(post)
    return posts


def _v2_tweet(
    tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], platform: str
) -> dict[str, Any]:
    refs = {r["type"]: str(r["id"]) for r in tweet.get("referenced_tweets", []) if "type" in r and "id" in r}
    metrics = tweet.get("public_metrics") or {}
    entities = tweet.get("entities") or {}
    user = users.get(str(tweet.get("author_id")), {})
    user_metrics = user.get("public_metrics") or {}
    author = _drop_none(
        {
            "id": str(tweet["author_id"]),
            "handle": user.get("username") or None,
            "followers": _count(user_metrics.get("followers_count")),
            "following": _count(user_metrics.get("following_count")),
            "verified": user.get("verified") if isinstance(user.get("verified"), bool) else None,
        }
    )
    return _drop_none(
        {
            "post_id": str(tweet["id"]),
            "platform": platform,
            "created_at": str(tweet["created_at"]).replace("Z", "+00:00"),
            "author": author,
            "reshare_of": refs.get("retweeted"),
            "reply_to": refs.get("replied_to"),
            "quote_of": refs.get("quoted"),
            "text": tweet.get("text"),
            "lang": _lang(tweet.get("lang")),
            "hashtags": [h["tag"] for h in entities.get("hashtags", []) if h.get("tag")][:100],
            "mentions": [m["username"] for m in entities.get("mentions", []) if m.get("username")][:100],
            "like_count": _count(metrics.get("like_count")),
            "reshare_count": _count(metrics.get("retweet_count")),
            "reply_count": _count(metrics.get("reply_count")),
        }
    )


def from_v2(response: Mapping[str, Any], *, platform: str = "twitter") -> list[dict[str, Any]]:
    """A v2 response (one tweet or a page) as contract posts, referenced tweets from ``includes`` first."""
    data = response.get("data") or []
    tweets = [data] if isinstance(data, Mapping) else list(data)
    includes = response.get("includes") or {}
    users = {str(u["id"]): u for u in includes.get("users", []) if "id" in u}
    posts = [
        _v2_tweet(t, users, platform)
        for t in includes.get("tweets", [])
        if "author_id" in t and "created_at" in t
    ]
    posts.extend(_v2_tweet(t, users, platform) for t in tweets)
    return posts


def from_any(obj: Mapping[str, Any], *, platform: str = "twitter") -> list[dict[str, Any]]:
    """v2 if the object has ``data``, else v1.1."""
    return from_v2(obj, platform=platform) if "data" in obj else from_v1(obj, platform=platform)


def iter_lines(lines: Iterator[str] | list[str], *, platform: str = "twitter") -> Iterator[dict[str, Any]]:
    import json

    for line in lines:
        if line.strip():
            yield from from_any(json.loads(line), platform=platform)
