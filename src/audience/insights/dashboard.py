"""The dashboard's figures: history from the lake (the same queries as the insights), live from the counters.

Parameters are parsed into :class:`DashboardQuery` (unknown or malformed parameters are
:class:`DashboardParamError` with a reason, answered 400 by the blueprint); filters are whitelisted
values bound as query parameters, never SQL. Lake results are cached in process for
``cache_seconds`` (Athena takes seconds per query; the live panel refreshes without the lake).

Hostile but well-formed filter values cannot make the dashboard query the lake without bound: a
platform, country or device the lake's last 90 days do not hold answers empty from the known
values (one cached breakdown per dimension), without a query and without a cache entry; the cache
evicts least recently used entries, so a flood of distinct values cannot push out useful ones.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from audience.ingest.ports import CounterStore
from audience.insights import queries as q
from audience.insights.catalog import CsvCatalog
from audience.insights.dashboard_query import DashboardParamError, DashboardQuery, LiveQuery
from audience.insights.gather import Job, Window, change_pct, pct, run_queries
from audience.insights.models import TIME_RANGES
from audience.insights.ports import LakeQuery, Param, Row
from schemas.features import CONTENT_TYPES

METRICS: Final = (
    "engagement_over_time",
    "top_content",
    "platform_performance",
    "audience_demographics",
    "filters",
)
FILTER_DIMENSIONS: Final = {"platform": "platform", "country": "country", "device_type": "device_type"}
"""Query parameter -> the breakdown dimension whose values it must be one of."""
KNOWN_VALUES_DAYS: Final = 90
MAX_CACHED: Final = 512

_ANY: Final[dict[str, Param]] = {"platform": "", "country": "", "device_type": ""}


class DashboardService:
    def __init__(
        self,
        lake: LakeQuery,
        counters: CounterStore,
        catalog: CsvCatalog,
        cache_seconds: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        workers: int = 4,
    ) -> None:
        self.workers = workers
        self.lake = lake
        self.counters = counters
        self.catalog = catalog
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._cache: OrderedDict[tuple[str, tuple[Param, ...]], tuple[float, list[Row]]] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lake access

    def _run_many(self, jobs: Mapping[str, Job]) -> dict[str, list[Row] | None]:
        """A metric's queries: cached answers first, the rest concurrently (see ``run_queries``)."""
        now = time.monotonic()
        results: dict[str, list[Row] | None] = {}
        todo: dict[str, Job] = {}
        keys: dict[str, tuple[str, tuple[Param, ...]]] = {}
        for job_key, (name, values) in jobs.items():
            cache_key = (name, tuple(q.query(name).bind(values)))
            keys[job_key] = cache_key
            with self._lock:
                hit = self._cache.get(cache_key)
                if hit is not None:
                    self._cache.move_to_end(cache_key)
            if hit and now - hit[0] < self.cache_seconds:
                results[job_key] = hit[1]
            else:
                todo[job_key] = (name, values)
        fresh = run_queries(self.lake, todo, [], self.workers)
        if self.cache_seconds > 0:
            with self._lock:
                for job_key, rows in fresh.items():
                    if rows is not None:
                        self._cache[keys[job_key]] = (now, rows)
                        self._cache.move_to_end(keys[job_key])
                while len(self._cache) > MAX_CACHED:
                    self._cache.popitem(last=False)  # least recently used first
        results.update(fresh)
        return results

    def _run(self, name: str, values: Mapping[str, Param]) -> list[Row] | None:
        return self._run_many({name: (name, values)})[name]

    def _scope(
        self, query: DashboardQuery, start: datetime, end: datetime, until: datetime | None = None
    ) -> tuple[str, dict[str, Param]]:
        values: dict[str, Param] = {
            **Window.params(start, end, until),
            "platform": query.platform or "",
            "country": query.country or "",
            "device_type": query.device_type or "",
        }
        if query.content_type:
            values["content_type"] = query.content_type
            return "all_typed", values
        return "all", values

    def known_values(self) -> dict[str, list[str]]:
        """The filter values the lake holds over the last 90 days, per filter (cached like any query)."""
        window = Window.ending(self.clock(), KNOWN_VALUES_DAYS)
        values: dict[str, Param] = {**Window.params(window.start, window.end), **_ANY}
        found = self._run_many({param: (f"by_{dim}:all", values) for param, dim in FILTER_DIMENSIONS.items()})
        return {param: sorted(str(r["dim_value"]) for r in rows or []) for param, rows in found.items()}

    def unheld(self, query: DashboardQuery) -> list[str]:
        """Filters whose value the lake does not hold: such a view is empty, known without a query."""
        filters = {k: v for k, v in query.filters().items() if k in FILTER_DIMENSIONS}
        if not filters:
            return []
        known = self.known_values()
        return [f"{k}={v}" for k, v in filters.items() if v not in known[k]]

    def _frame(
        self, query: DashboardQuery, metric: str
    ) -> tuple[Window, str, dict[str, Param], dict[str, Any]]:
        window = Window.ending(self.clock(), TIME_RANGES[query.time_range])
        scope, values = self._scope(query, window.start, window.end)
        head: dict[str, Any] = {
            "metric": metric,
            "time_range": query.time_range,
            "filters": query.filters(),
            "period": {"start": window.start.isoformat(), "end": window.end.isoformat()},
            "not_available": [],
            "no_such_values": self.unheld(query),
        }
        if scope == "all_typed" and not self.lake.available(q.CONTENT_FEATURES):
            head["not_available"].append(
                "content type filter: content features not built yet (run `make features`)"
            )
        return window, scope, values, head

    # ------------------------------------------------------------ metrics

    def metric(self, name: str, query: DashboardQuery) -> dict[str, Any]:
        handler = {
            "engagement_over_time": self.engagement_over_time,
            "top_content": self.top_content,
            "platform_performance": self.platform_performance,
            "audience_demographics": self.audience_demographics,
            "filters": self.filters,
        }.get(name)
        if handler is None:
            raise DashboardParamError(
                [{"parameter": "metric", "reason": f"unknown metric; choose one of {', '.join(METRICS)}"}]
            )
        return handler(query)

    def filters(self, query: DashboardQuery) -> dict[str, Any]:
        """The values each filter can take (the lake's last 90 days), for the page's filter menus."""
        return {
            "metric": "filters",
            "values": {**self.known_values(), "content_type": list(CONTENT_TYPES)},
            "time_ranges": list(TIME_RANGES),
        }

    def engagement_over_time(self, query: DashboardQuery) -> dict[str, Any]:
        window, scope, values, out = self._frame(query, "engagement_over_time")
        # The by-type series starts at midnight, so only today (the current period) is partial.
        day_start = window.start.replace(hour=0)
        _, day_values = self._scope(query, day_start, window.end)
        _, previous_values = self._scope(query, window.previous_start, window.start, window.end)
        empty = bool(out["no_such_values"])
        found: dict[str, list[Row] | None] = (
            {"daily": [], "by_type": [], "current": [], "previous": []}
            if empty
            else self._run_many(
                {
                    "daily": (f"daily:{scope}", values),
                    "by_type": (f"daily_by_type:{scope}", day_values),
                    "current": (f"totals:{scope}", values),
                    "previous": (f"totals:{scope}", previous_values),
                }
            )
        )
        rows = found["daily"] or []
        totals = (found["current"] or [{}])[0]
        previous = (found["previous"] or [{}])[0]
        today = window.end.date().isoformat()
        partial_today = window.end != window.end.replace(hour=0)
        out["series"] = [
            {
                "date": str(r["event_date"]),
                "events": int(r["events"]),
                "users": int(r["users"]),
                "views": int(r["views"]),
                "completes": int(r["completes"]),
                "partial": str(r["event_date"]) in (today, window.start.date().isoformat()),
            }
            for r in rows
        ]
        # Every day of the series for every type (0 where none), so a quiet day is drawn as 0,
        # not skipped, and today is always there to be marked partial.
        days = [
            (day_start.date() + timedelta(days=i)).isoformat()
            for i in range((window.end.date() - day_start.date()).days + 1)
        ]
        counts: dict[str, dict[str, int]] = {}
        for r in found["by_type"] or []:
            counts.setdefault(str(r["event_type"]), {})[str(r["event_date"])] = int(r["events"])
        out["by_type"] = [
            {
                "event_type": kind,
                "points": [
                    {"date": d, "events": per_day.get(d, 0), "partial": partial_today and d == today}
                    for d in days
                ],
            }
            for kind, per_day in sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))
        ]
        out["partial_from"] = window.end.replace(hour=0).isoformat() if partial_today else None
        out["totals"] = {
            "events": int(totals.get("events") or 0),
            "users": int(totals.get("users") or 0),
            "previous_events": int(previous.get("events") or 0),
            "events_change_pct": change_pct(totals.get("events") or 0, previous.get("events") or 0),
        }
        out["kpis"] = [
            _kpi("events", "Events", totals.get("events"), previous.get("events"), "number"),
            _kpi("users", "Active users", totals.get("users"), previous.get("users"), "number"),
            _kpi(
                "completion_ratio",
                "Completion rate",
                _ratio(totals.get("completes"), totals.get("views")),
                _ratio(previous.get("completes"), previous.get("views")),
                "ratio",
            ),
            _kpi("shares", "Shares", totals.get("shares"), previous.get("shares"), "number"),
        ]
        out["previous_period"] = {"start": window.previous_start.isoformat(), "end": window.start.isoformat()}
        return out

    def top_content(self, query: DashboardQuery) -> dict[str, Any]:
        window, scope, values, out = self._frame(query, "top_content")
        if out["no_such_values"]:
            out["items"] = []
            return out
        found = self._run_many(
            {"top": (f"top_content:{scope}", values), "daily": (f"daily_top:{scope}", values)}
        )
        days = [
            (window.start.date() + timedelta(days=i)).isoformat()
            for i in range((window.end.date() - window.start.date()).days + 1)
        ]
        daily: dict[str, dict[str, int]] = {}
        for r in found["daily"] or []:
            daily.setdefault(str(r["content_id"]), {})[str(r["event_date"])] = int(r["events"])
        items = []
        for r in (found["top"] or [])[: query.limit]:
            info = self.catalog.describe(str(r["content_id"]))
            views, completes = int(r["views"]), int(r["completes"])
            items.append(
                {
                    "content_id": r["content_id"],
                    "title": info.title if info else None,
                    "content_type": info.content_type if info else None,
                    "events": int(r["events"]),
                    "users": int(r["users"]),
                    "views": views,
                    "completes": completes,
                    "completion_ratio": round(completes / views, 4) if views else None,
                    "daily": [daily[str(r["content_id"])].get(d, 0) for d in days]
                    if str(r["content_id"]) in daily
                    else None,
                }
            )
        out["items"] = items
        out["days"] = days
        return out

    @staticmethod
    def _breakdown(rows: list[Row] | None) -> list[dict[str, Any]] | None:
        if rows is None:
            return None
        total = sum(int(r["events"]) for r in rows)
        return [
            {
                "value": r["dim_value"],
                "events": int(r["events"]),
                "users": int(r["users"]),
                "views": int(r["views"]),
                "completes": int(r["completes"]),
                "completion_ratio": round(int(r["completes"]) / int(r["views"]), 4) if r["views"] else None,
                "avg_completion_rate": None
                if r.get("avg_completion_rate") is None
                else round(float(r["avg_completion_rate"]), 4),
                "share_pct": pct(int(r["events"]), total),
            }
            for r in rows
        ]

    def platform_performance(self, query: DashboardQuery) -> dict[str, Any]:
        _, scope, values, out = self._frame(query, "platform_performance")
        if out["no_such_values"]:
            out["items"] = []
            return out
        out["items"] = self._breakdown(self._run(f"by_platform:{scope}", values)) or []
        return out

    def audience_demographics(self, query: DashboardQuery) -> dict[str, Any]:
        _, scope, values, out = self._frame(query, "audience_demographics")
        parts = {"countries": "country", "devices": "device_type", "tiers": "subscription_tier"}
        if out["no_such_values"]:
            return {**out, **{key: [] for key in parts}}
        found = self._run_many({key: (f"by_{dim}:{scope}", values) for key, dim in parts.items()})
        for key, dim in parts.items():
            items = self._breakdown(found[key])
            if items is None and dim == "subscription_tier" and self.lake.available(q.EVENTS):
                out["not_available"].append(
                    "subscription tiers: user features not built yet (run `make features`)"
                )
            out[key] = items or []
        return out

    def live(self, query: LiveQuery) -> dict[str, Any]:
        """All-time and last-24-hour counters of the given contents (the page's refreshing panel)."""
        now = self.clock()
        start = (now - timedelta(hours=23)).strftime("%Y-%m-%dT%H")
        end = now.strftime("%Y-%m-%dT%H")
        items = []
        for content_id in dict.fromkeys(query.content_id):
            counters = self.counters.content(content_id)
            hourly = self.counters.hourly(content_id, start, end)
            info = self.catalog.describe(content_id)
            items.append(
                {
                    "content_id": content_id,
                    "title": info.title if info else None,
                    "events": counters.events if counters else 0,
                    "views": counters.counts.get("view", 0) if counters else 0,
                    "completes": counters.counts.get("complete", 0) if counters else 0,
                    "likes": counters.counts.get("like", 0) if counters else 0,
                    "shares": counters.counts.get("share", 0) if counters else 0,
                    "last_24h_events": sum(sum(h.counts.values()) for h in hourly),
                }
            )
        return {"metric": "live", "as_of": now.isoformat(timespec="seconds"), "items": items}


def _ratio(part: Any, whole: Any) -> float | None:
    return round(int(part or 0) / int(whole), 4) if whole else None


def _kpi(key: str, label: str, current: Any, previous: Any, kind: str) -> dict[str, Any]:
    """A KPI tile: the figure, the previous period's, and the change in percent (None without one)."""
    now = None if current is None else (float(current) if kind == "ratio" else int(current))
    before = None if previous is None else (float(previous) if kind == "ratio" else int(previous))
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "value": now,
        "previous": before,
        "change_pct": change_pct(now, before),
    }
