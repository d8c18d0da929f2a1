"""The scheduled Jetstream collector's handler: recorded frames through the real social ingestion
service (local adapters), the cursor saved, a second run deduplicated."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from audience.core.objectstore.adapters.local import FolderObjectStore
from audience.influencers.adapters.local.sources import RecordedFrames
from audience.influencers.adapters.local.store import FileCursorStore
from audience.ingest.adapters.local.ledger import SqliteIdLedger
from audience.ingest.adapters.local.spool import LocalSpool
from audience.ingest.service import IngestLimits, IngestService
from audience.ingest.social import SOCIAL_POSTS
from functions.social_stream.app import handler

FRAMES = Path(__file__).parent / "fixtures" / "jetstream_frames.jsonl"


class Context:
    function_name = "jetstream"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:jetstream"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def test_stream_handler_ingests_frames_and_resumes(tmp_path: Path) -> None:
    # GIVEN the social ingestion service on local adapters and recorded frames
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=86_400)
    service = IngestService(
        sink=spool,
        counters=SqliteIdLedger(tmp_path / "ledger.db", ttl_seconds=86_400),
        quarantine=FolderObjectStore(tmp_path / "lake"),
        limits=IngestLimits(max_event_age=timedelta(days=3650)),
        kind=SOCIAL_POSTS,
    )
    cursors = FileCursorStore(tmp_path / "cursors")
    # WHEN the handler runs twice over the same frames
    first = handler({}, Context(), service=service, source=RecordedFrames(FRAMES), cursors=cursors)  # type: ignore[arg-type]
    second = handler({}, Context(), service=service, source=RecordedFrames(FRAMES), cursors=cursors)  # type: ignore[arg-type]
    # THEN five posts are spooled once, the cursor is the last frame's time, and the rerun stores nothing new
    assert first["posts"] == 5 and first["sent"] == 5 and spool.pending() == 5
    assert cursors.load("bluesky") == 1767614400000000 + 8_000_000
    assert second["start_cursor"] == first["cursor"] and spool.pending() == 5
