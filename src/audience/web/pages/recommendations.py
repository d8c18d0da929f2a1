"""The Recommendations page (``/recommendations``) and its data (``/api/recommendations/report``).

The data is the latest run's report: the offline comparison written by ``make recommend`` /
the demo (``$AUDIENCE_HOME/recommend/report.json``) and the live A/B (``recommend/ab.json``).
The page draws it with D3 from node_modules and writes every datum with ``.text()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from audience.recommend.report import load_page_report
from audience.recommend.settings import RecommendSettings
from audience.web.shell import NAV_PAGES

recommendations = Blueprint(
    "recommendations",
    __name__,
    template_folder="../templates",
    static_folder="../static/recommendations",
    static_url_path="/static/recommendations",
)


@recommendations.get("/recommendations")
def page() -> Any:
    return render_template("recommendations.html", nav_pages=NAV_PAGES)


@recommendations.get("/api/recommendations/report")
def report() -> Any:
    data = load_page_report(RecommendSettings())
    if data is None:
        return jsonify(
            {
                "error": "not_found",
                "message": "no recommendations run yet: run `make recommend` or `make demo`",
            }
        ), 404
    return jsonify(data)
