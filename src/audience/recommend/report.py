"""The page's view of the latest run: the offline report and the live A/B, trimmed for the browser.

Locally both come from ``$AUDIENCE_HOME/recommend/`` (``make recommend``, ``make demo``). In AWS the
daily online workflow writes ``personalize/recommendations/reports/ab/latest.json`` to the lake, and
an offline report, when one is put at ``.../reports/offline/latest.json``, is shown beside it.
"""

from __future__ import annotations

import json
from typing import Any, Final, Protocol

from audience.recommend.settings import RecommendSettings

AB_KEY: Final = "personalize/recommendations/reports/ab/latest.json"
OFFLINE_KEY: Final = "personalize/recommendations/reports/offline/latest.json"


class Store(Protocol):
    def get_object(self, key: str) -> bytes: ...


def _page(report: dict[str, Any], ab: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "run_id": report.get("run_id"),
        "generated_at": report.get("generated_at"),
        "interactions": report.get("interactions"),
        "users": report.get("users"),
        "cold_start_users": report.get("cold_start_users"),
        "offline": report.get("offline", {}),
        "side_by_side": report.get("side_by_side", []),
        "ab": ab,
    }


def _object(store: Store, key: str) -> dict[str, Any] | None:
    try:
        data = json.loads(store.get_object(key))
    except FileNotFoundError:
        return None
    return data if isinstance(data, dict) else None


def load_page_report(settings: RecommendSettings, store: Store | None = None) -> dict[str, Any] | None:
    """``None`` when no run has written a report yet."""
    if settings.backend == "aws":
        if store is None:
            from audience.recommend.wiring import lake_store

            store = lake_store(settings)
        offline, ab = _object(store, OFFLINE_KEY), _object(store, AB_KEY)
        if offline is None and ab is None:
            return None
        return _page(offline or {}, ab)
    work = settings.home.resolve() / "recommend"
    path = work / "report.json"
    if not path.is_file():
        return None
    ab_path = work / "ab.json"
    return _page(json.loads(path.read_text()), json.loads(ab_path.read_text()) if ab_path.is_file() else None)
