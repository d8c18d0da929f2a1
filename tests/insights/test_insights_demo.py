"""The demo's insights stage on a small prepared home: it prints real insights and the dashboard URL."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import insights_lake
from rich.console import Console

from audience.core.settings import Settings
from audience.ingest.adapters.local.counters import SqliteCounterStore
from devhost.stages.insights import show_insights
from schemas.engagement import LakeRecord


def test_insights_demo_prints_top_content_and_segment(tmp_path: Path) -> None:
    # GIVEN a home with the small lake (relative to now), counters and segments
    now = datetime.now(UTC)
    insights_lake.build(tmp_path / "lake", now=now)
    counters = SqliteCounterStore(tmp_path / "state" / "counters.db", dedup_ttl_seconds=86_400)
    counters.apply([LakeRecord.model_validate(r) for r in insights_lake.events(now)])
    counters.close()
    out = io.StringIO()
    # WHEN the stage runs
    summary = show_insights(Settings(home=tmp_path, backend="local"), Console(file=out, width=200))
    text = out.getvalue()
    # THEN the top content (c-1, 7 events in 7 days) and the largest segment get insights, stored in the lake
    assert summary["content"]["content_id"] == "c-1"
    assert summary["content"]["summary"].startswith(
        "content c-1 had 7 events from 3 users in the last 7 days"
    )
    assert "figures stated, all traced to the query results" in text
    assert summary["segment"]["segment_id"] == "seg-a"
    assert "Recommendations" in text and "make serve" in text and "make insights" in text
    assert (tmp_path / "lake" / "insights" / "latest" / "content" / "c-1" / "7d.json").exists()
