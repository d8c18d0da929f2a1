"""The page's view of the latest run: the offline report and the live A/B, trimmed for the browser."""

from __future__ import annotations

import json
from typing import Any

from audience.recommend.settings import RecommendSettings


def load_page_report(settings: RecommendSettings) -> dict[str, Any] | None:
    """``None`` when no run has written a report yet (local files; in AWS the same JSON under the lake)."""
    work = settings.home.resolve() / "recommend"
    path = work / "report.json"
    if not path.is_file():
        return None
    report = json.loads(path.read_text())
    ab_path = work / "ab.json"
    return {
        "run_id": report.get("run_id"),
        "generated_at": report.get("generated_at"),
        "interactions": report.get("interactions"),
        "users": report.get("users"),
        "cold_start_users": report.get("cold_start_users"),
        "offline": report.get("offline", {}),
        "side_by_side": report.get("side_by_side", []),
        "ab": json.loads(ab_path.read_text()) if ab_path.is_file() else None,
    }
