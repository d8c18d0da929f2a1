"""The only place the influencers slice picks adapters (from :class:`InfluencerSettings`).

Adapters are imported lazily so the Lambda package (aws) never imports VADER or SQLite helpers and a
laptop never needs AWS credentials.
"""

from __future__ import annotations

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
