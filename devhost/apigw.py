"""Turns a local HTTP request into an API Gateway REST proxy event, as ``sam local start-api`` does.

The local server runs the very same Lambda handler, so what is tested locally is what runs in AWS.
API Gateway's own duties that the handler never sees are emulated here too: the API key check
(``403 Forbidden`` as the gateway answers) and the 10 MB payload cap.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

API_GATEWAY_MAX_PAYLOAD = 10 * 1024 * 1024

# (method, path) -> API key required; mirrors the API events of stacks/collect.yaml. Paths not listed
# (GET /recommendations/{user_id} among them) need the key.
ROUTES: dict[tuple[str, str], bool] = {
    ("POST", "/events"): True,
    ("OPTIONS", "/events"): False,
    ("GET", "/health"): False,
    ("POST", "/social/posts"): True,
}

_TEXT_TYPES = ("application/json", "text/", "application/x-ndjson")


def needs_api_key(method: str, path: str) -> bool:
    return ROUTES.get((method.upper(), path), True)


def proxy_event(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    query: Mapping[str, list[str]],
    body: bytes,
    source_ip: str,
    stage: str,
    api_key_id: str | None = None,
) -> dict[str, Any]:
    content_type = headers.get("content-type", headers.get("Content-Type", ""))
    is_text = not body or any(content_type.startswith(t) for t in _TEXT_TYPES)
    if is_text:
        try:
            text, b64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, b64 = base64.b64encode(body).decode(), True
    else:
        text, b64 = base64.b64encode(body).decode(), True
    request_id = str(uuid.uuid4())
    return {
        "resource": path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": dict(headers),
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": dict(query) or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method.upper(),
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {
                "sourceIp": source_ip,
                "apiKeyId": api_key_id,
                "userAgent": headers.get("user-agent"),
            },
            "accountId": "000000000000",
            "apiId": "local",
        },
        "body": text if body else None,
        "isBase64Encoded": b64,
    }


@dataclass
class LocalContext:
    """The parts of a Lambda context that Powertools reads."""

    function_name: str = "IngestFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:IngestFunction"
    aws_request_id: str = ""
    deadline: float | None = None  # time.monotonic() by which the answer is due (the local server's)

    def get_remaining_time_in_millis(self) -> int:
        """Time left before the request's deadline; API Gateway's 29 s when none is set."""
        if self.deadline is None:
            return 29_000
        return max(0, int((self.deadline - time.monotonic()) * 1000))
