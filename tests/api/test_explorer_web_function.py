"""The web function: the same Flask app behind API Gateway through apig-wsgi, and its sign-in config."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from apig_wsgi import make_lambda_handler
from botocore.stub import Stubber
from explorer_testkit import prepare_home

from audience.core.aws import client_config, new_client
from audience.core.settings import Settings
from audience.web.adapters.aws.cognito import ClientNotFoundError, find_client_id
from audience.web.app import create_app

EVENT = Path(__file__).parents[2] / "events" / "web_explorer_segments.json"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web-fn")
    prepare_home(path, n_users=600)
    return path


def _event(path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    event = json.loads(EVENT.read_text())
    event = copy.deepcopy(event)
    event["path"] = path
    event["requestContext"]["path"] = "/Prod" + path
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()} or None
    return event


def test_web_function_serves_the_api_and_the_page_with_the_stage_prefix(home: Path) -> None:
    # GIVEN the web app behind apig-wsgi, as functions/web/app.py builds it
    handler = make_lambda_handler(create_app(Settings(home=home, backend="local")))
    # WHEN API Gateway sends the real-shaped events (stage Prod on the default endpoint)
    api = handler(_event("/api/explorer/segments", {"method": "kmeans"}), None)
    page = handler(_event("/explorer"), None)
    bad = handler(_event("/api/explorer/segments", {"method": "nope"}), None)
    # THEN the API answers, and the page links its scripts under the stage
    assert api["statusCode"] == 200
    assert len(json.loads(api["body"])["segments"]) == 6
    assert page["statusCode"] == 200
    assert 'data-base="/Prod"' in page["body"]
    assert "/Prod/static/vendor/d3.min.js" in page["body"]
    assert "/Prod/static/web/auth.js" in page["body"]
    assert bad["statusCode"] == 400


def test_web_auth_config_is_off_locally_and_names_the_hosted_ui_when_configured(home: Path) -> None:
    # GIVEN a local app and one configured with a user pool and a client id
    local = create_app(Settings(home=home, backend="local")).test_client()
    cloud = create_app(
        Settings(
            home=home,
            backend="local",
            auth_user_pool_id="us-east-1_AbCdEf123",
            auth_domain="audience-prod.auth.us-east-1.amazoncognito.com",
            auth_client_id="4r2example0client0id",
        )
    ).test_client()
    # WHEN each serves the sign-in configuration
    # THEN the local one has no sign-in, the other names the hosted UI and the client
    assert local.get("/auth/config.json").get_json() == {"enabled": False}
    config = cloud.get("/auth/config.json").get_json()
    assert config["enabled"] is True
    assert (
        config["authorize_url"] == "https://audience-prod.auth.us-east-1.amazoncognito.com/oauth2/authorize"
    )
    assert config["client_id"] == "4r2example0client0id"
    # AND the code flow with PKCE: the code is exchanged at the pool's token endpoint
    assert config["token_url"] == "https://audience-prod.auth.us-east-1.amazoncognito.com/oauth2/token"
    assert config["response_type"] == "code" and config["code_challenge_method"] == "S256"


POOL = "us-east-1_AbCdEf123"  # a user pool id as Cognito writes them: <region>_<id>


def test_web_auth_client_id_is_found_by_name_across_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a pool whose clients come in two pages, ours on the second
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    cognito = new_client("cognito-idp", client_config())
    with Stubber(cognito) as stub:
        stub.add_response(
            "list_user_pool_clients",
            {"UserPoolClients": [{"ClientId": "aaa", "ClientName": "other"}], "NextToken": "t1"},
            {"UserPoolId": POOL, "MaxResults": 60},
        )
        stub.add_response(
            "list_user_pool_clients",
            {"UserPoolClients": [{"ClientId": "bbb", "ClientName": "explorer-web"}]},
            {"UserPoolId": POOL, "MaxResults": 60, "NextToken": "t1"},
        )
        # WHEN the client is looked up by name  THEN its id is returned
        assert find_client_id(POOL, "explorer-web", client=cognito) == "bbb"
    with Stubber(cognito) as stub:
        stub.add_response(
            "list_user_pool_clients", {"UserPoolClients": []}, {"UserPoolId": POOL, "MaxResults": 60}
        )
        # AND a missing client is a clear error
        with pytest.raises(ClientNotFoundError, match="explorer-web"):
            find_client_id(POOL, "explorer-web", client=cognito)


def test_web_function_handler_answers_and_logs_one_structured_line_per_request(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the deployed handler on the local backend over a prepared home, its log records captured
    import logging

    from audience.ingest.wiring import reset
    from devhost.apigw import LocalContext
    from functions.web import app as web_app

    records: list[logging.LogRecord] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    grab = Grab()
    monkeypatch.setenv("AUDIENCE_HOME", str(home))
    monkeypatch.setenv("AUDIENCE_BACKEND", "local")
    monkeypatch.delenv("AUDIENCE_AUTH_USER_POOL_ID", raising=False)
    reset()
    web_app._wsgi_handler.cache_clear()
    web_app.logger.addHandler(grab)
    try:
        # WHEN a segments request comes in
        answer = web_app.handler(_event("/api/explorer/segments", {"method": "kmeans"}), LocalContext())
    finally:
        web_app.logger.removeHandler(grab)
        reset()
        web_app._wsgi_handler.cache_clear()
    # THEN it answers, and one structured line names the route and status, without the query
    assert answer["statusCode"] == 200
    (record,) = [r for r in records if r.getMessage() == "web request"]
    line = json.loads(web_app.logger.registered_formatter.format(record))
    assert (line["method"], line["status"], line["route"]) == ("GET", 200, "/api/{proxy+}")
    assert "kmeans" not in json.dumps(line)
