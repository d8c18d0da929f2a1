"""Sign-in for every web page, in one place.

In AWS, API Gateway's Cognito authorizer guards every ``/api/...`` route of the web API (each
blueprint's JSON API inherits it by living under ``/api/``); pages and static files are public
shells holding no data. A page includes ``/static/web/auth.js`` and calls ``audienceAuth.fetch``
instead of ``fetch``: it signs in through the Cognito hosted UI when needed (authorization code
flow with PKCE, the code exchanged at ``/oauth2/token``) and sends the ID token.
Locally no pool is configured, ``/auth/config.json`` says so, and ``audienceAuth.fetch`` is a plain
``fetch`` (the local server listens on 127.0.0.1 only).
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from audience.core.settings import Settings

auth = Blueprint("auth", __name__, static_folder="static/web", static_url_path="/static/web")
_KEY = "audience.auth.settings"
_client_ids: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


def init_auth(app: Flask, settings: Settings) -> None:
    app.extensions[_KEY] = settings
    app.register_blueprint(auth)


def client_id(settings: Settings) -> str:
    """The hosted UI's app client: configured, or found by name in the pool once per process."""
    if settings.auth_client_id:
        return settings.auth_client_id
    assert settings.auth_user_pool_id
    key = (settings.auth_user_pool_id, settings.auth_client_name)
    with _lock:
        if key not in _client_ids:
            from audience.web.wiring import find_client_id

            _client_ids[key] = find_client_id(*key)
        return _client_ids[key]


def auth_config(settings: Settings) -> dict[str, Any]:
    if not (settings.auth_user_pool_id and settings.auth_domain):
        return {"enabled": False}
    return {
        "enabled": True,
        "authorize_url": f"https://{settings.auth_domain}/oauth2/authorize",
        # The authorization code flow with PKCE (auth.js): the code is exchanged here.
        "token_url": f"https://{settings.auth_domain}/oauth2/token",
        "response_type": "code",
        "code_challenge_method": "S256",
        "logout_url": f"https://{settings.auth_domain}/logout",
        "client_id": client_id(settings),
        "scope": "openid email",
    }


@auth.get("/auth/config.json")
def config() -> Response:
    response = jsonify(auth_config(current_app.extensions[_KEY]))
    response.headers["Cache-Control"] = "no-store"
    return response
