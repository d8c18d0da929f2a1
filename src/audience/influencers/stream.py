"""A resumable stream session: read frames from the stored cursor, send posts in batches, advance the
cursor only after a batch is acknowledged, stop before the time limit (a Lambda's, or the user's).

At-least-once by construction: a crash after sending and before saving the cursor replays that batch
on the next run, and the ingest API's ``(platform, post_id)`` deduplication drops the repeats.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from audience.influencers.connectors.jetstream import read_frames
from audience.influencers.ports import CursorStore, PostSink


class FrameSource(Protocol):
    """Opens the stream at a cursor (None: live now) and yields raw messages."""

    def open(self, cursor: int | None) -> Iterable[str | bytes]: ...


@dataclass
class StreamReport:
    frames: int = 0
    posts: int = 0
    sent: int = 0
    skipped: int = 0
    malformed: int = 0
    start_cursor: int | None = None
    cursor: int | None = None
    stopped_by: str = "end of stream"


def run_stream(
    source: FrameSource,
    sink: PostSink,
    cursors: CursorStore,
    *,
    name: str = "bluesky",
    batch_size: int = 200,
    max_seconds: float | None = None,
    max_posts: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> StreamReport:
    report = StreamReport(start_cursor=cursors.load(name))
    report.cursor = report.start_cursor
    deadline = None if max_seconds is None else clock() + max_seconds
    batch: list[dict[str, Any]] = []
    batch_cursor: int | None = report.cursor

    def flush() -> None:
        nonlocal batch
        if batch:
            report.sent += sink.send(batch)
            batch = []
        if batch_cursor is not None and batch_cursor != report.cursor:
            cursors.save(name, batch_cursor)
            report.cursor = batch_cursor

    for at, post in read_frames(source.open(report.start_cursor), report.start_cursor):
        report.frames += 1
        if at is None and post is None:
            report.malformed += 1
        elif post is None:
            report.skipped += 1
        else:
            batch.append(post)
            report.posts += 1
        if at is not None:
            batch_cursor = max(at, batch_cursor or 0)
        if len(batch) >= batch_size:
            flush()
        if max_posts is not None and report.posts >= max_posts:
            report.stopped_by = "max posts"
            break
        if deadline is not None and clock() >= deadline:
            report.stopped_by = "time limit"
            break
    flush()
    return report
