"""A small lake with hand-countable numbers, for the insights' and the dashboard's tests.

``NOW`` is builders.NOW (2026-11-21 12:00 UTC). With ``time_range=7d`` the current period is
2026-11-14 12:00 .. 2026-11-21 12:00 and the previous one 2026-11-07 12:00 .. 2026-11-14 12:00.

Current period:  c-1: u1 view(100 s, 0.5) complete like [ios-app mobile US];
                       u2 view(50 s, 1.0) complete [web desktop GB]; u3 view(30 s, 0.2) skip [web desktop GB]
                 c-2: u4 view(10 s, 0.5) [roku tv US]; u5 view(70 s, 0.7) share [roku tv DE];
                       u6 view(5 s, 0.1) [web desktop US] at 2026-11-14 13:00 (arrival partition = start day)
Previous period: c-1: u4 view(20 s, 0.1), view(40 s, 0.3) [ios-app mobile US]
                 c-2: u5 view(15 s, 0.2) [roku tv DE] at NOW - 8 days, arriving late (NOW - 1 day)
Older (outside both): c-1: u1 view at NOW - 20 days.
Segments (latest as_of 2026-11-20): seg-a = u1, u2 ("Binge <watchers>"); seg-b = u3.
                 Older as_of 2026-11-01: seg-a = u1..u4 (ignored).
Churn scores: u1 high 0.8, u2 low 0.1, u3 medium 0.5, u4 high 0.9. Engagement: (u1,c-1,.7) (u2,c-1,.5) (u1,c-2,.3).
Content features (latest): c-1 video Drama, c-2 podcast News. User features: u1 premium, u2 free.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from builders import NOW

from audience.ingest.adapters.local.spool import lake_schema


def _event(
    n: int,
    user: str,
    content: str,
    kind: str,
    at: datetime,
    platform: str,
    device: str,
    country: str,
    seconds: float | None = None,
    rate: float | None = None,
    arrival: datetime | None = None,
) -> dict[str, Any]:
    return {
        "event_id": f"e-{n:03d}",
        "schema_version": "1.0",
        "user_id": user,
        "content_id": content,
        "event_type": kind,
        "event_timestamp": at,
        "platform": platform,
        "device_type": device,
        "location": {"country": country, "region": None, "city": None},
        "session_id": f"s-{user}",
        "metadata": {"view_duration": seconds, "completion_rate": rate, "interaction_count": None},
        "event_id_source": "client",
        "ingested_at": arrival or at,
        "request_id": "r-test",
        "ingest_source": "test",
    }


def events(now: datetime = NOW) -> list[dict[str, Any]]:
    """The events above, relative to ``now`` (on the hour), so a server on the real clock sees them too."""
    NOW = now.replace(minute=0, second=0, microsecond=0)
    d = timedelta(days=1)
    ios = ("ios-app", "mobile", "US")
    web_gb = ("web", "desktop", "GB")
    return [
        _event(1, "u1", "c-1", "view", NOW - d, *ios, 100.0, 0.5),
        _event(2, "u1", "c-1", "complete", NOW - d, *ios),
        _event(3, "u2", "c-1", "view", NOW - 2 * d, *web_gb, 50.0, 1.0),
        _event(4, "u2", "c-1", "complete", NOW - 2 * d, *web_gb),
        _event(5, "u3", "c-1", "view", NOW - 3 * d, *web_gb, 30.0, 0.2),
        _event(6, "u3", "c-1", "skip", NOW - 3 * d, *web_gb),
        _event(7, "u1", "c-1", "like", NOW - 6 * d, *ios),
        _event(8, "u4", "c-2", "view", NOW - d, "roku", "tv", "US", 10.0, 0.5),
        _event(9, "u5", "c-2", "view", NOW - 2 * d, "roku", "tv", "DE", 70.0, 0.7),
        _event(10, "u5", "c-2", "share", NOW - 2 * d, "roku", "tv", "DE"),
        _event(11, "u6", "c-2", "view", NOW - 7 * d + timedelta(hours=1), "web", "desktop", "US", 5.0, 0.1),
        _event(12, "u4", "c-1", "view", NOW - 8 * d, *ios, 20.0, 0.1),
        _event(13, "u4", "c-1", "view", NOW - 9 * d, *ios, 40.0, 0.3),
        _event(14, "u1", "c-1", "view", NOW - 20 * d, *ios, 60.0, 0.9),
        _event(15, "u5", "c-2", "view", NOW - 8 * d, "roku", "tv", "DE", 15.0, 0.2, arrival=NOW - d),
    ]


def write_events(lake: Path, rows: list[dict[str, Any]]) -> None:
    by_day: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        at = row["ingested_at"]
        by_day.setdefault(f"year={at:%Y}/month={at:%m}/day={at:%d}", []).append(row)
    for part, items in by_day.items():
        folder = lake / "engagement-events" / part
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.Table.from_pylist(items, schema=lake_schema()),
            folder / f"{len(list(folder.iterdir()))}.parquet",
        )


def write_table(lake: Path, prefix: str, as_of: str, rows: list[dict[str, Any]]) -> None:
    folder = lake / prefix / f"as_of={as_of}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")


def segments(lake: Path) -> None:
    def row(user: str, seg: str, name: str) -> dict[str, Any]:
        return {
            "user_id": user,
            "segment_id": seg,
            "segment_name": name,
            "method": "kmeans",
            "model_version": "v1",
        }

    write_table(
        lake,
        "segments/assignments",
        "2026-11-20",
        [
            row("u1", "seg-a", "Binge <watchers>"),
            row("u2", "seg-a", "Binge <watchers>"),
            row("u3", "seg-b", "Casual"),
        ],
    )
    write_table(
        lake, "segments/assignments", "2026-11-01", [row(u, "seg-a", "Old") for u in ("u1", "u2", "u3", "u4")]
    )


def predictions(lake: Path) -> None:
    at = datetime(2026, 11, 20, tzinfo=UTC)
    churn = [("u1", 0.8, "high"), ("u2", 0.1, "low"), ("u3", 0.5, "medium"), ("u4", 0.9, "high")]
    write_table(
        lake,
        "predictions/churn_scores",
        "2026-11-20",
        [
            {
                "user_id": u,
                "churn_probability": p,
                "risk_band": b,
                "model_version": "churn-1",
                "scored_at": at,
            }
            for u, p, b in churn
        ],
    )
    scores = [("u1", "c-1", 0.7), ("u2", "c-1", 0.5), ("u1", "c-2", 0.3)]
    write_table(
        lake,
        "predictions/engagement_scores",
        "2026-11-20",
        [
            {
                "user_id": u,
                "content_id": c,
                "predicted_engagement": s,
                "model_version": "eng-1",
                "scored_at": at,
            }
            for u, c, s in scores
        ],
    )


def features(lake: Path) -> None:
    write_table(
        lake,
        "features/content_features",
        "2026-11-20",
        [
            {"content_id": "c-1", "content_type": "video", "primary_genre": "Drama"},
            {"content_id": "c-2", "content_type": "podcast", "primary_genre": "News"},
        ],
    )
    write_table(
        lake,
        "features/content_features",
        "2026-11-01",
        [{"content_id": "c-1", "content_type": "article", "primary_genre": "Tech"}],
    )
    write_table(
        lake,
        "features/user_features",
        "2026-11-20",
        [{"user_id": "u1", "subscription_tier": "premium"}, {"user_id": "u2", "subscription_tier": "free"}],
    )


def build(
    lake: Path,
    *,
    with_segments: bool = True,
    with_predictions: bool = True,
    with_features: bool = True,
    now: datetime = NOW,
) -> Path:
    write_events(lake, events(now))
    if with_segments:
        segments(lake)
    if with_predictions:
        predictions(lake)
    if with_features:
        features(lake)
    return lake


CATALOG = (
    "content_id,title,content_type,genres,duration_seconds,published_at,creator_id,planted_popularity_rank\n"
    "c-1,Night Shift,video,Drama|Thriller,600,2026-01-01T00:00:00Z,cr-1,1\n"
    "c-2,Daily Brief,podcast,News,1200,2026-01-01T00:00:00Z,cr-2,2\n"
)
