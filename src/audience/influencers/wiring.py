"""The only place the influencers slice picks adapters (from :class:`InfluencerSettings`).

Adapters are imported lazily so the Lambda package (aws) never imports VADER or SQLite helpers and a
laptop never needs AWS credentials.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from audience.influencers.ports import CursorStore, PostSink, ResultStore, SentimentScorer
from audience.influencers.settings import InfluencerSettings
from audience.influencers.stream import FrameSource


def settings() -> InfluencerSettings:
    return InfluencerSettings()


def sentiment_scorer(s: InfluencerSettings) -> SentimentScorer:
    if s.backend == "aws":
        from audience.influencers.adapters.aws.comprehend import ComprehendScorer

        return ComprehendScorer(language=s.comprehend_language)
    from audience.influencers.adapters.local.vader import VaderScorer

    return VaderScorer()


def result_store(s: InfluencerSettings) -> ResultStore:
    if s.backend == "aws":
        from audience.influencers.adapters.aws.dynamodb import DynamoResultStore

        if not s.influencers_table:
            raise RuntimeError("aws backend needs AUDIENCE_INFLUENCERS_TABLE")
        return DynamoResultStore(s.influencers_table)
    from audience.influencers.adapters.local.store import SqliteResultStore

    return SqliteResultStore(s.state_dir / "influencers.db")


def cursor_store(s: InfluencerSettings) -> CursorStore:
    if s.backend == "aws":
        from audience.influencers.adapters.aws.ssm import SsmCursorStore

        return SsmCursorStore(s.cursor_parameter_prefix)
    from audience.influencers.adapters.local.store import FileCursorStore

    return FileCursorStore(s.state_dir / "cursors")


def frame_source(s: InfluencerSettings, frames: str | None = None) -> FrameSource:
    """Recorded frames from a file if given, else live Jetstream."""
    from functools import partial
    from pathlib import Path

    from audience.influencers.adapters.local.sources import JetstreamSocket, RecordedFrames
    from audience.influencers.connectors.jetstream import subscribe_url

    if frames:
        return RecordedFrames(Path(frames))
    return JetstreamSocket(partial(subscribe_url, s.jetstream_url))


def post_sink(s: InfluencerSettings, out: str | None = None) -> PostSink:
    """A JSONL file if given, else the ingest API (``AUDIENCE_API_URL``, ``AUDIENCE_API_KEY`` or the
    local server's key file)."""
    from pathlib import Path

    from audience.influencers.adapters.local.sources import ApiSink, JsonlSink

    if out:
        return JsonlSink(Path(out))
    key = s.api_key
    key_file = s.home / "api_key"
    if not key and key_file.exists():
        key = key_file.read_text().strip()
    if not key:
        raise RuntimeError("no API key: set AUDIENCE_API_KEY or start the local server once (make serve)")
    return ApiSink(s.api_url, key)


def run_scoring_job(
    s: InfluencerSettings, as_of: str, window_hours: float | None = None
) -> dict[str, object]:
    """The Glue scoring script on local Spark over the local lake, storing the run for the page."""
    from audience.influencers.adapters.local.glue import run_scoring_job as run

    return run(
        s.project_root,
        s.lake_dir.resolve(),
        as_of,
        store=f"sqlite:{(s.state_dir / 'influencers.db').resolve()}",
        window_hours=window_hours or s.window_hours,
    )


def score_lake(s: InfluencerSettings, as_of: datetime, window_hours: float | None = None) -> dict[str, Any]:
    """The DuckDB path over the local lake: the same functions as the Glue job, in-process (the demo's
    fast path and the benchmark's peer); the run goes to the serving store."""
    from datetime import timedelta

    from audience.influencers.adapters.local.lake import read_posts_frame
    from audience.influencers.scoring import cascade_records, influencer_records, run_document, score

    since = as_of - timedelta(hours=window_hours or s.window_hours)
    result = score(read_posts_frame(s.lake_dir, since), as_of, sentiment_scorer(s))
    influencers = influencer_records(result)
    document = run_document(result, influencers, cascade_records(result))
    result_store(s).save_run(document)
    return {
        "as_of": as_of.isoformat(),
        "posts": len(result.posts),
        "cascades": len(result.cascades),
        "authors": len(influencers),
    }
