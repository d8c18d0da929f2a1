"""Sign-in in headless Chromium: the authorization code flow with PKCE against a fake hosted UI.

The page's own auth.js runs; Cognito's /oauth2/authorize and /oauth2/token are answered by the
test (playwright routes), which checks what a real pool checks: response_type=code, S256, the
state round trip, and that SHA-256(code_verifier) is the code_challenge sent before.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from servers import Server, free_port

pytestmark = pytest.mark.slow
HOSTED = "https://audience-prod.auth.us-east-1.amazoncognito.com"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(home=tmp_path, port=free_port())
    srv.start()
    yield srv
    srv.stop()


def _jwt() -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'sub': 'analyst', 'exp': int(time.time()) + 3600})}.c2ln"


def test_sign_in_uses_the_code_flow_with_pkce_and_sends_the_id_token(chromium: Any, server: Server) -> None:
    # GIVEN a deployment with sign-in (config served to the page) and a fake hosted UI
    page = chromium.new_page()
    seen: dict[str, Any] = {"api": []}
    token = _jwt()
    config = {
        "enabled": True,
        "authorize_url": f"{HOSTED}/oauth2/authorize",
        "token_url": f"{HOSTED}/oauth2/token",
        "client_id": "4r2example0client0id",
        "scope": "openid email",
    }
    page.route("**/auth/config.json", lambda r: r.fulfill(json=config))

    def authorize(route: Any) -> None:
        query = {k: v[0] for k, v in parse_qs(urlparse(route.request.url).query).items()}
        seen["authorize"] = query
        back = query["redirect_uri"] + "?" + urlencode({"code": "the-code", "state": query["state"]})
        route.fulfill(status=302, headers={"Location": back})

    def exchange(route: Any) -> None:
        seen["token"] = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
        route.fulfill(
            json={"id_token": token, "access_token": "at", "token_type": "Bearer", "expires_in": 3600},
            headers={"Access-Control-Allow-Origin": "*"},
        )

    def api(route: Any) -> None:
        seen["api"].append(route.request.headers.get("authorization"))
        route.fulfill(json={"ok": True})

    page.route(f"{HOSTED}/oauth2/authorize**", authorize)
    page.route(f"{HOSTED}/oauth2/token", exchange)
    page.route("**/api/ping", api)
    # WHEN a page calls its API without a token, goes through the hosted UI and comes back
    page.goto(f"{server.url}/health")
    page.add_script_tag(url=f"{server.url}/static/web/auth.js")
    with page.expect_navigation(url="**/health?code=*"):
        page.evaluate("() => { audienceAuth.fetch('/api/ping'); }")
    page.add_script_tag(url=f"{server.url}/static/web/auth.js")
    status = page.evaluate("audienceAuth.fetch('/api/ping').then((r) => r.status)")
    # THEN the authorize request asked for a code with an S256 challenge, never for a token
    authorize_query = seen["authorize"]
    assert authorize_query["response_type"] == "code"
    assert authorize_query["code_challenge_method"] == "S256"
    assert authorize_query["client_id"] == "4r2example0client0id"
    # AND the code was exchanged at /oauth2/token with the verifier matching that challenge
    sent = seen["token"]
    verifier = sent["code_verifier"]
    assert 43 <= len(verifier) <= 128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert challenge == authorize_query["code_challenge"]
    assert sent["grant_type"] == "authorization_code" and sent["code"] == "the-code"
    assert sent["redirect_uri"] == authorize_query["redirect_uri"] == f"{server.url}/health"
    # AND the API got the ID token, and the code no longer shows in the address bar
    assert status == 200 and seen["api"] == [token]
    assert "code=" not in page.url and "state=" not in page.url
    page.close()


def test_sign_in_drops_a_code_whose_state_is_not_ours(chromium: Any, server: Server) -> None:
    # GIVEN a page coming back with a code it never asked for (a forged redirect)
    page = chromium.new_page()
    exchanged: list[str] = []
    config = {
        "enabled": True,
        "authorize_url": f"{HOSTED}/oauth2/authorize",
        "token_url": f"{HOSTED}/oauth2/token",
        "client_id": "c",
        "scope": "openid email",
    }
    page.route("**/auth/config.json", lambda r: r.fulfill(json=config))
    page.route(f"{HOSTED}/oauth2/token", lambda r: (exchanged.append("x"), r.fulfill(json={}))[1])
    page.route(f"{HOSTED}/oauth2/authorize**", lambda r: r.fulfill(status=200, body="hosted ui"))
    page.goto(f"{server.url}/health?code=stolen&state=forged")
    page.add_script_tag(url=f"{server.url}/static/web/auth.js")
    # WHEN the page needs a token
    with page.expect_navigation(url=f"{HOSTED}/oauth2/authorize**"):
        page.evaluate("() => { audienceAuth.fetch('/api/ping'); }")
    # THEN the code was never exchanged, and the user was sent to sign in instead
    assert exchanged == []
    page.close()
