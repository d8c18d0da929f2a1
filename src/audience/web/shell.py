"""The web app's shell: the pages in its navigation, shared by every page's template.

A page is a Flask blueprint under :mod:`audience.web.pages` whose template extends ``base.html``;
it joins the navigation by adding one :class:`NavPage` to :data:`NAV_PAGES`. The list's order is the
navigation's order; ``endpoint`` is the blueprint endpoint that renders the page. A page whose
blueprint is not registered in the running app (a slice not wired in this deployment, or not merged
yet) is left out of the navigation and the home page rather than linking to a 404.

The shell blueprint also carries what every page shares: ``base.html`` and the other templates in
``web/templates``, the design system and the chart components under ``/static/web/``, the home page
at ``/``, and JSON answers for every HTTP error (:func:`install_error_handlers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from audience.web.inputs import InputError, short

WEB_DIR: Final = Path(__file__).resolve().parent
TEMPLATES: Final = WEB_DIR / "templates"
STATIC: Final = WEB_DIR / "static" / "web"


@dataclass(frozen=True)
class NavPage:
    endpoint: str
    label: str
    path: str
    summary: str = ""


NAV_PAGES: Final[list[NavPage]] = [
    NavPage(
        "dashboard.page",
        "Dashboard",
        "/dashboard",
        "Engagement over time, top content, platforms and audience, live counters.",
    ),
    NavPage(
        "explorer.page",
        "Explorer",
        "/explorer",
        "Audience segments, channel affinity, comparisons, lookalikes and exports.",
    ),
    NavPage(
        "insights.page",
        "Insights",
        "/insights",
        "A written insight for a content item or a segment, every figure traced to the lake.",
    ),
    NavPage("recommendations.page", "Recommendations", "/recommendations", "Recommended content per user."),
    NavPage("influencers.page", "Influencers", "/influencers", "Influential accounts from reshare cascades."),
]

shell = Blueprint(
    "shell",
    __name__,
    template_folder=str(TEMPLATES),
    static_folder=str(STATIC),
    static_url_path="/static/web",
)


def registered_pages(app: Flask) -> list[NavPage]:
    """The navigation's pages whose endpoint this app serves."""
    return [p for p in NAV_PAGES if p.endpoint in app.view_functions]


@shell.app_context_processor
def _nav() -> dict[str, Any]:
    # Its own name, so a page passing its own `nav_pages` cannot put unregistered pages in the nav.
    return {"shell_nav_pages": registered_pages(current_app), "nav_pages": registered_pages(current_app)}


@shell.get("/")
def home() -> str:
    return render_template("home.html")


def error_body(status: int, error: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": error, "message": message, **extra}), status


_CODES: Final = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    431: "headers_too_large",
}


def install_error_handlers(app: Flask) -> None:
    """Every HTTP error as JSON (``{"error", "message"}``), never an HTML page, and never a 5xx
    for bad input: unknown paths are 404 and wrong methods 405 (with ``allowed``)."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        if status == 404:
            message = f"no page or API at {short(request.path)}"
        elif status == 405:
            message = f"{request.method} is not allowed on {short(request.path)}"
        else:
            message = exc.description or exc.name
        response, code = error_body(status, _CODES.get(status, exc.name.lower().replace(" ", "_")), message)
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            allowed = sorted(exc.valid_methods)  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(allowed)
            response.set_data(
                jsonify({"error": "method_not_allowed", "message": message, "allowed": allowed}).get_data()
            )
        return response, code

    @app.errorhandler(InputError)
    def _input(exc: InputError) -> tuple[Response, int]:
        return exc.response()

    @app.errorhandler(RecursionError)
    def _deep(_: RecursionError) -> tuple[Response, int]:
        return error_body(400, "bad_request", "the JSON body is nested too deeply")
