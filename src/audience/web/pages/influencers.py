"""The Influencers page (``/influencers``) and its JSON API under ``/api/influencers/``.

Thin: the latest scoring run from the serving store (SQLite locally, DynamoDB in AWS), the budget
allocator (:func:`audience.influencers.allocation.allocate`) and the file export
(:func:`audience.core.audience_files.write_export`) of an allocation into the lake's ``exports/``.
Errors a caller can fix are 400 with a reason; no scoring run yet is 503.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from audience.core.settings import Settings
from audience.influencers.ports import ResultStore

influencers = Blueprint(
    "influencers",
    __name__,
    template_folder="../templates",
    static_folder="../static/influencers",
    static_url_path="/static/influencers",
)
_STORE = "audience.influencers.store"
_SETTINGS = "audience.influencers.settings"


def init_influencers(app: Flask, settings: Settings) -> None:
    from audience.influencers import wiring
    from audience.influencers.settings import InfluencerSettings

    app.extensions[_STORE] = wiring.result_store(
        InfluencerSettings(home=settings.home, backend=settings.backend)
    )
    app.extensions[_SETTINGS] = settings
    app.register_blueprint(influencers)


class NotConfiguredError(RuntimeError):
    """The serving store is not configured here."""


def _store() -> ResultStore:
    store: ResultStore | None = current_app.extensions[_STORE]
    if store is None:
        raise NotConfiguredError(
            "the influencers serving table is not configured (AUDIENCE_INFLUENCERS_TABLE)"
        )
    return store


@influencers.errorhandler(NotConfiguredError)
def _not_configured(exc: NotConfiguredError) -> tuple[Response, int]:
    return jsonify({"error": str(exc)}), 503


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


@influencers.get("/influencers")
def page() -> str:
    return render_template("influencers.html")


def _run() -> dict[str, Any] | None:
    return _store().latest_run()


@influencers.get("/api/influencers/run")
def run() -> Response | tuple[Response, int]:
    latest = _run()
    if latest is None:
        return _error(503, "no scoring run yet: run `make influencers` (or the demo)")
    public = {k: v for k, v in latest.items() if k != "candidates"}
    public["candidate_count"] = len(latest.get("candidates", []))
    return jsonify(public)


@influencers.post("/api/influencers/allocate")
def allocate_budget() -> tuple[Response, int]:
    from audience.influencers.budget import answer

    body = request.get_json(silent=True)
    # The run is read only for a well-formed request (answer() checks the body first).
    status, payload = answer(body, _run() if isinstance(body, dict) else None)
    return jsonify(payload), status


@influencers.post("/api/influencers/export")
def export() -> Response | tuple[Response, int]:
    raw = request.get_json(silent=True)
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    rows = body.get("rows")
    if (
        not isinstance(rows, list)
        or not rows
        or not all(isinstance(r, dict) and isinstance(r.get("author_id"), str) for r in rows)
    ):
        return _error(400, "send {name, rows: [{author_id, cost, ...}]} from an allocation")
    name = str(body.get("name") or f"influencer-allocation-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    from audience.core.audience_files import write_export
    from audience.core.objectstore.wiring import lake_store

    columns = ("author_id", "country", "followers", "cost", "engaged_accounts")
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_export(
            Path(tmp),
            name=name,
            definition={"allocation": body.get("summary", {}), "run_id": body.get("run_id")},
            rows=rows,
            columns=columns,
            source="influencers",
        )
        store = lake_store(current_app.extensions[_SETTINGS])
        keys = []
        for file in sorted(Path(tmp).iterdir()):
            key = f"exports/influencers/{file.name}"
            store.put_object(
                key, file.read_bytes(), "application/json" if file.suffix == ".json" else "text/csv"
            )
            keys.append(key)
    return jsonify({"manifest": manifest.model_dump(mode="json"), "keys": keys})
