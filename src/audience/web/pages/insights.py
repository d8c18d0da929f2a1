"""The Insights page at ``/insights`` and its JSON API.

- ``GET /api/insights/subjects``: what can be asked about: the top content of the last 30 days (with
  titles) and the latest segments, from the lake.
- ``GET /api/insights?content_id=…|segment_id=…&time_range=7d|30d|90d[&refresh=true]``: the insight,
  served from the insight store while fresh (``served``: ``stored``, ``reused`` or ``written``), with
  the writer (``bedrock``, ``rules`` or ``rules-fallback``) and, for every figure it states, the input
  value (the query result) it was read from (``traces``).

Thin: parse under the web app's input policy (:mod:`audience.web.inputs`), call the insights slice's
service (the same one the insights function runs), shape JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, render_template
from pydantic import ValidationError

from audience.insights import queries as q
from audience.insights.gather import ALL_FILTERS, SubjectNotFoundError, Window
from audience.insights.models import InsightRequest
from audience.insights.numbers import trace_insight
from audience.insights.ports import LakeQueryError
from audience.web.inputs import InputError, query_args, short

insights = Blueprint("insights", __name__)


@insights.get("/insights")
def page() -> str:
    return render_template("insights.html")


def _lake_error(exc: Exception) -> tuple[Response, int]:
    return jsonify({"error": "lake_unavailable", "message": short(exc, 200)}), 503


@insights.get("/api/insights/subjects")
def subjects() -> Any:
    from audience.insights import wiring

    query_args(set())
    lake, catalog = wiring.lake_query(), wiring.catalog()
    out: dict[str, Any] = {"contents": [], "segments": [], "not_available": []}
    try:
        if lake.available(q.EVENTS):
            window = Window.ending(datetime.now(UTC), 30)
            top = q.query("top_content:all")
            rows = lake.run(top.sql, top.bind({**Window.params(window.start, window.end), **ALL_FILTERS}))
            for r in rows[:30]:
                info = catalog.describe(str(r["content_id"]))
                out["contents"].append(
                    {
                        "id": r["content_id"],
                        "title": info.title if info else None,
                        "content_type": info.content_type if info else None,
                        "events": int(r["events"]),
                    }
                )
        else:
            out["not_available"].append("events: the lake holds none yet (run `make demo`)")
        if lake.available(q.SEGMENTS):
            seg = q.query("segments")
            out["segments"] = [
                {
                    "id": r["segment_id"],
                    "name": r["segment_name"],
                    "method": r["method"],
                    "members": int(r["members"]),
                }
                for r in lake.run(seg.sql, [])
            ]
        else:
            out["not_available"].append("segments: no segmentation run yet (run `make demo`)")
    except LakeQueryError as exc:
        return _lake_error(exc)
    return jsonify(out)


@insights.get("/api/insights")
def insight() -> Any:
    from audience.insights import wiring

    args = query_args({"content_id", "segment_id", "time_range", "refresh"})
    refresh = args.pop("refresh", "false").lower()
    if refresh not in ("true", "false", "1", "0"):
        raise InputError(
            "refresh must be true or false", [{"parameter": "refresh", "reason": "must be true or false"}]
        )
    try:
        request = InsightRequest.model_validate({**args, "refresh": refresh in ("true", "1")})
    except ValidationError as exc:
        reasons = [
            {"parameter": ".".join(str(p) for p in e["loc"]) or "query", "reason": e["msg"]}
            for e in exc.errors(include_input=False, include_url=False)
        ]
        raise InputError("; ".join(f"{r['parameter']}: {r['reason']}" for r in reasons), reasons) from None
    try:
        record, how = wiring.insights_service().insight(request)
    except SubjectNotFoundError as exc:
        return jsonify({"error": "not_found", "message": short(exc, 200)}), 404
    except LakeQueryError as exc:
        return _lake_error(exc)
    body = record.model_dump(mode="json")
    return jsonify({"served": how, **body, "traces": trace_insight(record.insight, record.inputs)})
