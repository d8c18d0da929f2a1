"""The web app over real HTTP (``audience serve``): the home page, JSON errors for every bad input,
one parameter policy across the pages' APIs, and one log line per request."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servers import Server, free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(home=tmp_path_factory.mktemp("web-http"), port=free_port())
    srv.start()
    yield srv
    srv.stop()


def _json_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict) and body["error"] and body["message"]
    return body


def test_web_home_links_every_registered_page(server: Server) -> None:
    # WHEN / is asked (it used to answer 403: the ingest handler's key check)
    response = httpx.get(f"{server.url}/", timeout=30)
    # THEN it is the app's home, linking every page whose blueprint is registered
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    for path in ("/dashboard", "/explorer", "/insights"):
        assert f'href="{path}"' in response.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("GET", "/api/nope", 404),
        ("POST", "/api/explorer/nope", 404),
        ("DELETE", "/dashboard", 405),
        ("GET", "/events", 405),
        ("PUT", "/api/explorer/lookalikes", 405),
    ],
)
def test_web_unknown_paths_and_methods_are_json_and_never_reach_ingest(
    server: Server, method: str, path: str, status: int
) -> None:
    # WHEN an unknown path or a wrong method is asked, without any API key
    response = httpx.request(method, f"{server.url}{path}", timeout=30)
    # THEN it is a JSON 404/405 (not the ingest handler's 403), with the allowed methods on a 405
    body = _json_error(response, status)
    if status == 405:
        assert method not in body["allowed"]  # type: ignore[operator]
        assert response.headers["allow"]


@pytest.mark.parametrize("route", ["/api/explorer/lookalikes", "/api/explorer/exports"])
def test_web_hostile_bodies_are_json_4xx(server: Server, route: str) -> None:
    url = f"{server.url}{route}"
    json_type = {"content-type": "application/json"}
    # GIVEN a 5,000-level body, an oversized body, a non-object body and a non-JSON media type
    deep = _json_error(httpx.post(url, content=b"[" * 5000 + b"]" * 5000, headers=json_type, timeout=30), 400)
    assert "nested" in str(deep["message"])
    _json_error(
        httpx.post(url, content=b'{"a": "' + b"x" * 400_000 + b'"}', headers=json_type, timeout=30), 413
    )
    array = _json_error(httpx.post(url, content=b"[1, 2]", headers=json_type, timeout=30), 400)
    assert "JSON object" in str(array["message"])
    _json_error(httpx.post(url, content=b"{", headers=json_type, timeout=30), 400)
    _json_error(httpx.post(url, content=b"{}", headers={"content-type": "text/plain"}, timeout=30), 415)


def test_web_malformed_request_line_is_json(server: Server) -> None:
    # GIVEN a request line that is not HTTP
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(b"GARBAGE\r\n\r\n")
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    # THEN the server answers a JSON 400, not a text page
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400" and b"application/json" in head.lower()
    assert b'"error"' in body


@pytest.mark.parametrize(
    "path",
    [
        "/api/explorer/segments?sort=size",
        "/api/dashboard/top_content?sort=size",
        "/api/insights?content_id=c-1&sort=size",
        "/api/insights/subjects?sort=size",
    ],
)
def test_web_one_policy_for_unknown_parameters(server: Server, path: str) -> None:
    body = _json_error(httpx.get(f"{server.url}{path}", timeout=30), 400)
    assert {"parameter": "sort", "reason": "unknown parameter"} in body["reasons"]  # type: ignore[operator]


@pytest.mark.parametrize(
    "path",
    [
        "/api/explorer/segments?method=kmeans&method=hdbscan",
        "/api/dashboard/top_content?time_range=7d&time_range=30d",
        "/api/insights?content_id=c-1&content_id=c-2",
    ],
)
def test_web_one_policy_for_repeated_parameters(server: Server, path: str) -> None:
    body = _json_error(httpx.get(f"{server.url}{path}", timeout=30), 400)
    assert any(r["reason"] == "given more than once" for r in body["reasons"])  # type: ignore[union-attr]


def test_web_error_messages_quote_a_short_prefix(server: Server) -> None:
    # GIVEN a parameter name and values of thousands of characters
    long = "x" * 5000
    responses = [
        httpx.get(f"{server.url}/api/explorer/segments?{long}=1", timeout=30),
        httpx.get(f"{server.url}/api/dashboard/top_content?{long}=1", timeout=30),
        httpx.get(f"{server.url}/{long}", timeout=30),
    ]
    # THEN no answer echoes more than a short prefix
    for response in responses:
        assert response.status_code in (400, 404)
        assert len(response.text) < 600, response.text[:200]


def test_web_insights_api_reasons_and_empty_lake(server: Server) -> None:
    both = _json_error(httpx.get(f"{server.url}/api/insights?content_id=c-1&segment_id=s", timeout=30), 400)
    assert "exactly one" in str(both["message"])
    bad_range = _json_error(
        httpx.get(f"{server.url}/api/insights?content_id=c-1&time_range=1y", timeout=30), 400
    )
    assert bad_range["reasons"][0]["parameter"] == "time_range"  # type: ignore[index]
    missing = _json_error(httpx.get(f"{server.url}/api/insights?content_id=c-1", timeout=60), 404)
    assert "c-1" in str(missing["message"])


def test_web_server_logs_one_line_per_request(tmp_path: Path) -> None:
    # GIVEN a server WHEN two requests are served and it stops
    srv = Server(home=tmp_path, port=free_port())
    srv.start()
    httpx.get(f"{srv.url}/nope?secret=1", timeout=30)
    httpx.get(f"{srv.url}/dashboard", timeout=30)
    output = srv.stop()
    # THEN each has one line: method, path (never the query string), status, milliseconds
    lines = [line for line in output.splitlines() if " ms" in line]
    assert any(line.split()[1:4] == ["GET", "/nope", "404"] for line in lines), output
    assert any(line.split()[1:4] == ["GET", "/dashboard", "200"] for line in lines), output
    assert "secret" not in output
