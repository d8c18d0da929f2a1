"""The Explorer: the page at ``/explorer`` and its JSON API under ``/api/explorer/``.

Thin: parse the request, call :class:`~audience.explorer.service.ExplorerService`, shape JSON.
Errors a caller can fix are 400 with a reason; unknown segments 404; no segmentation run yet 503.
The API is documented in ``docs/explorer.md``. Authentication is not here: locally the server
listens on 127.0.0.1, and in AWS API Gateway authorises every request before the web function
(one place for every blueprint).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from audience.core.objectstore.ports import ObjectStore
from audience.core.settings import Settings
from audience.explorer.service import ExplorerService, NoRunError, NotFoundError, RequestError

explorer = Blueprint(
    "explorer",
    __name__,
    template_folder="templates",
    static_folder="static/explorer",
    static_url_path="/static/explorer",
)
_SERVICE_KEY = "audience.explorer.service"


def service() -> ExplorerService:
    return current_app.extensions[_SERVICE_KEY]  # type: ignore[no-any-return]


def init_explorer(app: Flask, settings: Settings) -> None:
    """Register the blueprint with a service over the lake (local folder or S3 bucket)."""
    from audience.core.objectstore.wiring import lake_store

    lake = lake_store(settings)
    if settings.backend == "aws":
        exports: ObjectStore = lake
    else:
        from audience.core.objectstore.adapters.local import FolderObjectStore

        exports = FolderObjectStore(settings.home)
    app.extensions[_SERVICE_KEY] = ExplorerService(
        lake, exports, refresh_seconds=settings.explorer_refresh_seconds
    )
    app.register_blueprint(explorer)


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


@explorer.errorhandler(RequestError)
def _bad_request(exc: RequestError) -> tuple[Response, int]:
    return _error(400, str(exc))


@explorer.errorhandler(NotFoundError)
def _not_found(exc: NotFoundError) -> tuple[Response, int]:
    return _error(404, str(exc))


@explorer.errorhandler(NoRunError)
def _no_run(exc: NoRunError) -> tuple[Response, int]:
    return _error(503, str(exc))


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise RequestError("the body must be a JSON object (Content-Type: application/json)")
    return body


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RequestError(f"{name} must be a whole number (got {raw!r})") from None
    if not low <= value <= high:
        raise RequestError(f"{name} must be between {low} and {high}")
    return value


@explorer.get("/explorer")
def page() -> str:
    return render_template("explorer.html")


@explorer.get("/api/explorer/segments")
def segments() -> Response:
    return jsonify(service().overview(request.args.get("method")))


@explorer.get("/api/explorer/segments/<segment_id>")
def segment_detail(segment_id: str) -> Response:
    top = _int_arg("top", 8, 1, 50)
    return jsonify(service().detail(request.args.get("method"), segment_id, top=top))


@explorer.get("/api/explorer/compare")
def compare() -> Response:
    a, b = request.args.get("a"), request.args.get("b")
    if not a or not b:
        raise RequestError("compare needs both a and b (segment ids)")
    return jsonify(service().compare(request.args.get("method"), a, b))


@explorer.post("/api/explorer/lookalikes")
def lookalike() -> Response:
    body = _json_body()
    result = service().lookalike(body.get("method"), body.get("seed", {}), body.get("size"))
    result.pop("_members")
    return jsonify(result)


@explorer.post("/api/explorer/exports")
def export() -> tuple[Response, int]:
    manifest = service().export(_json_body())
    out = manifest.model_dump(mode="json")
    # Relative to the app's root (pages add their base: the API Gateway stage, or nothing locally).
    out["download"] = f"/api/explorer/exports/{manifest.files['csv']}"
    return jsonify(out), 201


@explorer.get("/api/explorer/exports/<name>")
def download(name: str) -> Response:
    body = service().export_file(name)
    mimetype = "text/csv" if name.endswith(".csv") else "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
