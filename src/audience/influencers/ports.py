"""What the influencers slice needs from outside, as Protocols (adapters under ``adapters/``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class SentimentScorer(Protocol):
    """Sentiment of texts as a compound score in [-1, 1] (Comprehend in AWS, VADER locally)."""

    def score(self, texts: Sequence[str]) -> list[float]: ...


@runtime_checkable
class ResultStore(Protocol):
    """The page's serving store for one scoring run (DynamoDB in AWS, SQLite locally)."""

    def save_run(self, run: dict[str, Any]) -> None:
        """Store a run (``run_id``, ``as_of``, summary, cascades, influencers, graph, series)."""
        ...

    def latest_run(self) -> dict[str, Any] | None: ...


@runtime_checkable
class CursorStore(Protocol):
    """Where a live stream's resume cursor is kept (SSM Parameter Store in AWS, a file locally)."""

    def load(self, name: str) -> int | None: ...

    def save(self, name: str, cursor: int) -> None: ...


@runtime_checkable
class PostSink(Protocol):
    """Where collected posts go: the ingest API (``POST /social/posts``) or a JSONL file."""

    def send(self, posts: Sequence[dict[str, Any]]) -> int:
        """Send posts (contract dicts); returns how many were accepted or already known."""
        ...
