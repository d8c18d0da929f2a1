"""The Explorer: the page at ``/explorer`` and its JSON API under ``/api/explorer/``.

Thin: parse the request, call :class:`~audience.explorer.service.ExplorerService`, shape JSON.
Errors a caller can fix are 400 with a reason; unknown segments 404; no segmentation run yet 503,
each as ``{"error": code, "message": ...}``. Parameters and bodies follow the web app's one input
policy (:mod:`audience.web.inputs`: unknown or repeated parameters are 400s, bodies are bounded
JSON objects).
The API is documented in ``docs/explorer.md``. Authentication is not here: locally the server
listens on 127.0.0.1, and in AWS API Gateway authorises every request before the web function
(one place for every blueprint).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template

from audience.core.objectstore.ports import ObjectStore
from audience.core.settings import Settings
from audience.explorer.service import ExplorerService, NoRunError, NotFoundError, RequestError
from audience.web.inputs import json_object_body, query_args, short

explorer = Blueprint("explorer", __name__)
_SERVICE_KEY = "audience.explorer.service"


def service() -> ExplorerService:
    return current_app.extensions[_SERVICE_KEY]  # type: ignore[no-any-return]


def init_explorer(app: Flask, settings: Settings) -> None:
    """Register the blueprint with a service over the lake (local folder or S3 bucket)."""
    from audience.core.objectstore.wiring import folder_store, lake_store

    lake = lake_store(settings)
    exports: ObjectStore = lake if settings.backend == "aws" else folder_store(settings.home)
    app.extensions[_SERVICE_KEY] = ExplorerService(
        lake, exports, refresh_seconds=settings.explorer_refresh_seconds
    )
    app.register_blueprint(explorer)


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message}), status


@explorer.errorhandler(RequestError)
def _bad_request(exc: RequestError) -> tuple[Response, int]:
    return _error(400, "bad_request", str(exc))


@explorer.errorhandler(NotFoundError)
def _not_found(exc: NotFoundError) -> tuple[Response, int]:
    return _error(404, "not_found", str(exc))


@explorer.errorhandler(NoRunError)
def _no_run(exc: NoRunError) -> tuple[Response, int]:
    return _error(503, "no_segmentation_run", str(exc))


def _int_arg(args: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RequestError(f"{name} must be a whole number (got {short(raw)!r})") from None
    if not low <= value <= high:
        raise RequestError(f"{name} must be between {low} and {high}")
    return value


@explorer.get("/explorer")
def page() -> str:
    return render_template("explorer.html")


@explorer.get("/api/explorer/segments")
def segments() -> Response:
    args = query_args({"method"})
    return jsonify(service().overview(args.get("method")))


@explorer.get("/api/explorer/segments/<segment_id>")
def segment_detail(segment_id: str) -> Response:
    args = query_args({"method", "top"})
    top = _int_arg(args, "top", 8, 1, 50)
    return jsonify(service().detail(args.get("method"), segment_id, top=top))


@explorer.get("/api/explorer/compare")
def compare() -> Response:
    args = query_args({"method", "a", "b"})
    a, b = args.get("a"), args.get("b")
    if not a or not b:
        raise RequestError("compare needs both a and b (segment ids)")
    return jsonify(service().compare(args.get("method"), a, b))


@explorer.post("/api/explorer/lookalikes")
def lookalike() -> Response:
    body = json_object_body()
    result = service().lookalike(body.get("method"), body.get("seed", {}), body.get("size"))
    result.pop("_members")
    return jsonify(result)


@explorer.post("/api/explorer/exports")
def export() -> tuple[Response, int]:
    manifest = service().export(json_object_body())
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
