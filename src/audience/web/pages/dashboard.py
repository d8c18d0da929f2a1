"""The dashboard: ``GET /api/dashboard/<metric>``, ``GET /api/dashboard/live`` and the page at ``/dashboard``.

Parameters follow the web app's one policy (:mod:`audience.web.inputs`): unknown or repeated
parameters are a 400 naming each (``content_id`` of the live panel is the one list parameter).

Thin: parse the query string, call :class:`~audience.insights.dashboard.DashboardService`, answer
JSON. Unknown metrics and bad parameters are 400 with per-parameter reasons; a lake failure is a
503 with the reason. The page is a Jinja template whose script draws with D3 and writes every
datum with ``.text()``, never as HTML.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from pydantic import ValidationError

from audience.core.settings import get_settings
from audience.insights.dashboard import DashboardService
from audience.insights.dashboard_query import DashboardParamError, LiveQuery
from audience.insights.ports import LakeQueryError
from audience.web.inputs import short

dashboard = Blueprint("dashboard", __name__)


@lru_cache(maxsize=1)
def service() -> DashboardService:
    from audience.insights import wiring

    _, counters = wiring.stores()
    return DashboardService(wiring.lake_query(), counters, wiring.catalog())


def _bad(reasons: list[dict[str, str]]) -> tuple[Response, int]:
    message = "; ".join(f"{r['parameter']}: {r['reason']}" for r in reasons)
    return jsonify({"error": "bad_request", "message": message, "reasons": reasons}), 400


@dashboard.get("/api/dashboard/live")
def live() -> Any:
    # content_id repeats by design (one per content): the only parameter the policy lets repeat.
    args = request.args.to_dict(flat=False)
    unknown = [k for k in args if k != "content_id"]
    if unknown:
        return _bad([{"parameter": short(k), "reason": "unknown parameter"} for k in unknown])
    try:
        query = LiveQuery.model_validate({"content_id": args.get("content_id", [])})
    except ValidationError as exc:
        return _bad(
            [
                {"parameter": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]}
                for e in exc.errors(include_input=False, include_url=False)
            ]
        )
    return jsonify(service().live(query))


@dashboard.get("/api/dashboard/<metric>")
def metric(metric: str) -> Any:
    from audience.insights.dashboard_query import DashboardQuery

    try:
        query = DashboardQuery.parse(request.args.to_dict(flat=False))
        return jsonify(service().metric(metric, query))
    except DashboardParamError as exc:
        return _bad(exc.reasons)
    except LakeQueryError as exc:
        return jsonify({"error": "lake_unavailable", "message": short(exc, 200)}), 503


@dashboard.get("/dashboard")
def page() -> str:
    return render_template("dashboard.html", refresh_seconds=get_settings().dashboard_refresh_seconds)
