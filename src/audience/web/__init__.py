"""The web UI and its JSON APIs as Flask blueprints, mounted by the local server and, in AWS, by
the web function through a WSGI adapter.

Front-end libraries are served from ``node_modules`` (installed by ``make setup`` from
``package-lock.json``), never from a CDN: the UI works offline and its versions are locked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flask import Blueprint, Flask, abort, send_from_directory

from audience.core.settings import Settings, find_project_root

ROOT: Final = find_project_root()

# URL name -> file inside node_modules. Only these files are served.
VENDOR_FILES: Final = {
    "d3.min.js": "d3/dist/d3.min.js",
}


def vendor_dir() -> Path:
    """Where the npm libraries are: the repo's node_modules locally, or a folder packaged beside the code."""
    packaged = Path(__file__).parent / "vendor"
    return packaged if packaged.is_dir() else ROOT / "node_modules"


vendor = Blueprint("vendor", __name__)


@vendor.get("/static/vendor/<name>")
def vendor_file(name: str):  # type: ignore[no-untyped-def]
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404)
    base = vendor_dir()
    path = base / relative if (base / relative).exists() else base / name
    if not path.exists():
        abort(404, description=f"{name} is not installed: run `make setup` (npm ci)")
    response = send_from_directory(path.parent, path.name, mimetype="text/javascript", max_age=3600)
    return response


def register(app: Flask, settings: Settings) -> None:
    """Mount the shell and every page blueprint on ``app`` (the local server's Flask app, or the web function's).

    Sign-in (``init_auth``) comes first, so it guards every ``/api/`` route registered after it.
    Pages are blueprints under :mod:`audience.web.pages`; the shell's navigation lists those
    registered here (see :mod:`audience.web.shell`).
    """
    from audience.web.auth import init_auth
    from audience.web.pages.dashboard import dashboard
    from audience.web.pages.explorer import init_explorer
    from audience.web.pages.insights import insights
    from audience.web.shell import install_error_handlers, shell

    app.register_blueprint(vendor)
    init_auth(app, settings)
    app.register_blueprint(shell)
    install_error_handlers(app)
    init_explorer(app, settings)
    app.register_blueprint(dashboard)
    app.register_blueprint(insights)
    from audience.web.pages.recommendations import recommendations

    app.register_blueprint(recommendations)
    from audience.web.pages.influencers import init_influencers

    init_influencers(app, settings)
