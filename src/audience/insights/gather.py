"""Gather: the real figures an insight is written from, through the lake SQL port and the counters.

Everything is measured over the last ``days`` whole hours ending at the current hour (UTC), and
compared with the previous period of equal length. Inputs another stage produces (segments,
predictions, features) are optional: when their table is missing the inputs say so in
``not_available`` instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from audience.ingest.ports import CounterStore
from audience.insights import queries as q
from audience.insights.catalog import CsvCatalog
from audience.insights.models import (
    Change,
    DailyPoint,
    InsightInputs,
    InsightRequest,
    Live,
    Predictions,
    RiskBand,
    Share,
    Subject,
    Totals,
)
from audience.insights.ports import LakeQuery, Param, Row

TOP_VALUES = 10
"""Values kept per breakdown (by events): enough to reason on, small enough for a prompt."""

BASE_DIMENSIONS = ("event_type", "platform", "device_type", "country")
OPTIONAL_DIMENSIONS = {
    "subscription_tier": q.USER_FEATURES,
    "content_type": q.CONTENT_FEATURES,
    "genre": q.CONTENT_FEATURES,
}
ALL_FILTERS: Mapping[str, Param] = {"platform": "", "country": "", "device_type": ""}


class SubjectNotFoundError(LookupError):
    """The content or segment has nothing to write about (no events, no members, no table)."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    previous_start: datetime

    @classmethod
    def ending(cls, now: datetime, days: int) -> Window:
        end = now.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(days=days)
        return cls(start=start, end=end, previous_start=start - timedelta(days=days))

    @staticmethod
    def params(start: datetime, end: datetime, until: datetime | None = None) -> dict[str, Param]:
        """Bounds of ``[start, end)``, and of the arrival partitions that can hold its events:
        from ``start``'s day to ``until``'s (the current period's end: late events of an earlier
        period arrive up to the present)."""
        last = until or end
        same_year = start.year == last.year
        return {
            "start": start.strftime("%Y-%m-%d %H:%M:%S"),
            "end": end.strftime("%Y-%m-%d %H:%M:%S"),
            "year_from": f"{start.year:04d}",
            "year_to": f"{last.year:04d}",
            "month_from": f"{start.month:02d}" if same_year else "01",
            "month_to": f"{last.month:02d}" if same_year else "12",
            "start_day": start.strftime("%Y-%m-%d"),
        }


def pct(part: float, whole: float) -> float:
    return round(part / whole * 100, 1) if whole else 0.0


def change_pct(current: float | None, previous: float | None) -> float | None:
    if current is None or not previous:
        return None
    return round((current - previous) / previous * 100, 1)


Job = tuple[str, Mapping[str, Param]]
"""A query name and its parameter values."""


def run_queries(
    lake: LakeQuery, jobs: Mapping[str, Job], missing: list[str], workers: int = 4
) -> dict[str, list[Row] | None]:
    """Run ``jobs`` concurrently (Athena answers each in seconds; DuckDB's adapter serialises).

    A job whose tables are not all available gets ``None`` and its tables are added to ``missing``.
    """
    runnable: dict[str, tuple[str, list[Param]]] = {}
    results: dict[str, list[Row] | None] = {}
    for key, (name, values) in jobs.items():
        query = q.query(name)
        absent = [t for t in query.tables if not lake.available(t)]
        for table in absent:
            if f"{table}: not available" not in missing:
                missing.append(f"{table}: not available")
        if absent:
            results[key] = None
        else:
            runnable[key] = (query.sql, query.bind(values))
    if len(runnable) <= 1 or workers <= 1:
        results.update({key: lake.run(sql, params) for key, (sql, params) in runnable.items()})
        return results
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lake-query") as pool:
        futures = {key: pool.submit(lake.run, sql, params) for key, (sql, params) in runnable.items()}
        results.update({key: future.result() for key, future in futures.items()})
    return results


class Gatherer:
    def __init__(
        self, lake: LakeQuery, counters: CounterStore | None, catalog: CsvCatalog, workers: int = 4
    ) -> None:
        self.lake = lake
        self.counters = counters
        self.catalog = catalog
        self.workers = workers

    def _run(self, name: str, values: Mapping[str, Param], missing: list[str]) -> list[Row] | None:
        return run_queries(self.lake, {name: (name, values)}, missing, 1)[name]

    def gather(self, request: InsightRequest, now: datetime) -> InsightInputs:
        missing: list[str] = []
        window = Window.ending(now, request.days)
        scope = request.kind
        subject = self._subject(request, missing)
        ident: dict[str, Param] = {f"{scope}_id": request.subject_id}
        current_params = {**Window.params(window.start, window.end), **ident}
        previous_params = {**Window.params(window.previous_start, window.start, window.end), **ident}

        totals = run_queries(
            self.lake,
            {
                "current": (f"totals:{scope}", current_params),
                "previous": (f"totals:{scope}", previous_params),
            },
            missing,
            self.workers,
        )
        current_rows = totals["current"]
        if current_rows is None:
            raise SubjectNotFoundError(f"{scope} {request.subject_id}: {', '.join(missing)}")
        current = _totals(current_rows[0])
        previous = _totals((totals["previous"] or [{}])[0])
        if current.events == 0 and previous.events == 0 and subject.title is None:
            raise SubjectNotFoundError(
                f"{scope} {request.subject_id} has no events in the last {2 * request.days} days"
            )

        dims = list(BASE_DIMENSIONS)
        dims += [d for d in OPTIONAL_DIMENSIONS if scope == "segment" or d == "subscription_tier"]
        everyone = {**Window.params(window.start, window.end), **ALL_FILTERS}
        jobs: dict[str, Job] = {"daily": (f"daily:{scope}", current_params)}
        for dim in dims:
            jobs[f"subject:{dim}"] = (f"by_{dim}:{scope}", current_params)
            jobs[f"everyone:{dim}"] = (f"by_{dim}:all", everyone)
        jobs["churn"] = (f"churn:{scope}", current_params)
        if scope == "content":
            jobs["engagement"] = ("engagement:content", current_params)
        rows = run_queries(self.lake, jobs, missing, self.workers)

        breakdowns: dict[str, list[Share]] = {}
        for dim in dims:
            subject_rows = rows[f"subject:{dim}"]
            if subject_rows is not None:
                breakdowns[dim] = _shares(subject_rows, rows[f"everyone:{dim}"] or [])
        daily = [
            DailyPoint(date=str(r["event_date"]), events=int(r["events"]), users=int(r["users"]))
            for r in rows["daily"] or []
        ]
        return InsightInputs(
            subject=subject,
            time_range=request.time_range,
            window_days=request.days,
            period_start=window.start.isoformat(),
            period_end=window.end.isoformat(),
            previous_start=window.previous_start.isoformat(),
            current=current,
            previous=previous,
            changes=_changes(current, previous),
            breakdowns=breakdowns,
            daily=daily,
            live=self._live(request, window.end, missing),
            predictions=_predictions(rows.get("churn"), rows.get("engagement")),
            not_available=missing,
        )

    def _subject(self, request: InsightRequest, missing: list[str]) -> Subject:
        if request.kind == "content":
            info = self.catalog.describe(request.subject_id)
            if info is None:
                missing.append("content catalog entry: not available")
            return Subject(
                kind="content",
                id=request.subject_id,
                title=info.title if info else None,
                content_type=info.content_type if info else None,
                genre=info.genre if info else None,
            )
        rows = self._run("segment_info", {"segment_id": request.subject_id}, missing)
        if rows is None:
            raise SubjectNotFoundError(f"segment {request.subject_id}: {', '.join(missing)}")
        if not rows or not rows[0].get("members"):
            raise SubjectNotFoundError(f"segment {request.subject_id} has no members")
        row = rows[0]
        return Subject(
            kind="segment",
            id=request.subject_id,
            title=row.get("segment_name"),
            members=int(row["members"]),
            segment_as_of=str(row["as_of"]),
        )

    def _live(self, request: InsightRequest, end: datetime, missing: list[str]) -> Live | None:
        if request.kind != "content" or self.counters is None:
            return None
        counters = self.counters.content(request.subject_id)
        if counters is None:
            missing.append("live counters: none for this content")
            return None
        last = end - timedelta(hours=23)  # 24 hourly buckets, the current (partial) hour included
        hourly = self.counters.hourly(
            request.subject_id, last.strftime("%Y-%m-%dT%H"), end.strftime("%Y-%m-%dT%H")
        )
        return Live(
            events=counters.events,
            views=counters.counts.get("view", 0),
            completes=counters.counts.get("complete", 0),
            likes=counters.counts.get("like", 0),
            shares=counters.counts.get("share", 0),
            view_hours=round(counters.view_seconds / 3600, 1),
            last_24h_events=sum(sum(h.counts.values()) for h in hourly),
        )


def _predictions(churn_rows: list[Row] | None, engagement_rows: list[Row] | None) -> Predictions:
    churn: list[RiskBand] | None = None
    churn_version = None
    if churn_rows:
        total = sum(int(r["users"]) for r in churn_rows)
        churn = [
            RiskBand(
                risk_band=str(r["risk_band"]),
                users=int(r["users"]),
                share_pct=pct(int(r["users"]), total),
                avg_probability=round(float(r["avg_probability"]), 3),
            )
            for r in churn_rows
        ]
        churn_version = str(churn_rows[0]["model_version"])
    engagement_users = avg_engagement = engagement_version = None
    if engagement_rows and engagement_rows[0]["users"]:
        engagement_users = int(engagement_rows[0]["users"])
        avg_engagement = round(float(engagement_rows[0]["avg_predicted_engagement"]), 3)
        engagement_version = str(engagement_rows[0]["model_version"])
    return Predictions(
        churn=churn,
        churn_model_version=churn_version,
        engagement_users=engagement_users,
        avg_predicted_engagement=avg_engagement,
        engagement_model_version=engagement_version,
    )


def _num(row: Mapping[str, Any], key: str) -> int:
    value = row.get(key)
    return int(value) if value is not None else 0


def _totals(row: Mapping[str, Any]) -> Totals:
    views, completes = _num(row, "views"), _num(row, "completes")
    avg = row.get("avg_completion_rate")
    return Totals(
        events=_num(row, "events"),
        users=_num(row, "users"),
        contents=_num(row, "contents"),
        views=views,
        completes=completes,
        likes=_num(row, "likes"),
        shares=_num(row, "shares"),
        comments=_num(row, "comments"),
        skips=_num(row, "skips"),
        avg_completion_rate=None if avg is None else round(float(avg), 4),
        watch_seconds=round(float(row.get("watch_seconds") or 0.0), 1),
        completion_ratio=round(completes / views, 4) if views else None,
    )


def _changes(current: Totals, previous: Totals) -> list[Change]:
    out = []
    for metric in ("events", "users", "views", "completes", "completion_ratio", "avg_completion_rate"):
        cur, prev = getattr(current, metric), getattr(previous, metric)
        out.append(Change(metric=metric, current=cur, previous=prev, change_pct=change_pct(cur, prev)))
    return out


def _shares(rows: list[Row], base: list[Row]) -> list[Share]:
    total = sum(int(r["events"]) for r in rows)
    base_total = sum(int(r["events"]) for r in base)
    base_events = {str(r["dim_value"]): int(r["events"]) for r in base}
    shares = []
    for r in rows[:TOP_VALUES]:
        value, events, views = str(r["dim_value"]), int(r["events"]), int(r["views"])
        share = events / total if total else 0.0
        everyone = base_events.get(value, 0) / base_total if base_total else 0.0
        shares.append(
            Share(
                value=value,
                events=events,
                users=int(r["users"]),
                share_pct=round(share * 100, 1),
                completion_ratio=round(int(r["completes"]) / views, 4) if views else None,
                affinity_index=round(share / everyone * 100, 1) if everyone else None,
            )
        )
    return shares
