"""The web shell in process: navigation of registered pages only, JSON errors, the input policy."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from audience.web import vendor
from audience.web.auth import auth
from audience.web.inputs import MAX_DEPTH, nesting_depth, short
from audience.web.shell import NAV_PAGES, install_error_handlers, registered_pages, shell


def _app(*pages: str) -> Flask:
    app = Flask("test-shell")
    app.register_blueprint(vendor)
    app.register_blueprint(auth)
    app.register_blueprint(shell)
    install_error_handlers(app)
    for name in pages:
        bp = Blueprint(name, __name__)
        bp.add_url_rule(f"/{name}", "page", lambda: render_template("home.html"))
        app.register_blueprint(bp)
    return app


def test_web_shell_navigation_lists_only_registered_pages() -> None:
    # GIVEN an app where only the dashboard and a recommendations page are registered
    app = _app("dashboard", "recommendations")
    # THEN the navigation and the home page link those, in NAV_PAGES' order, and skip the rest
    assert [p.label for p in registered_pages(app)] == ["Dashboard", "Recommendations"]
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'href="/dashboard"' in html and 'href="/recommendations"' in html
    assert 'href="/explorer"' not in html and 'href="/influencers"' not in html
    # AND the current page is marked for assistive technology
    page = app.test_client().get("/recommendations").get_data(as_text=True)
    assert 'href="/recommendations" aria-current="page"' in page


def test_web_shell_nav_pages_contract() -> None:
    # The endpoints other pages join with: blueprint name + ".page", path = "/" + blueprint name
    for page in NAV_PAGES:
        blueprint, endpoint = page.endpoint.split(".")
        assert endpoint == "page" and page.path == f"/{blueprint}"


def test_web_shell_errors_are_json() -> None:
    client = _app().test_client()
    missing = client.get("/nothing/here")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    wrong = client.post("/")
    assert wrong.status_code == 405 and wrong.get_json()["allowed"] == ["GET", "HEAD", "OPTIONS"]


def test_web_inputs_depth_scan_and_short_prefix() -> None:
    assert nesting_depth(b'{"a": [1, {"b": "[[[[["}]}') == 3
    assert nesting_depth(b"[" * 5000) == 5000 > MAX_DEPTH
    assert nesting_depth(b'["\\"[["]') == 1
    assert short("x" * 100) == "x" * 40 + "…"
    assert short("a\nb") == "a?b"
