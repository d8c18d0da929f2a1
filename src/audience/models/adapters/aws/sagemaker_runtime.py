"""The :class:`~audience.models.ports.ModelPredictor` on SageMaker endpoints (``InvokeEndpoint``).

The endpoint runs the same handlers as the local adapter (``sagemaker/inference.py``); their 4xx
answers arrive as ``ModelError`` with the original status and body, which become
:class:`PredictionRejectedError` with the same per-row reasons.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from audience.core.aws import client_config, error_code, new_client
from audience.models.ports import ModelName, ModelUnavailableError, PredictionRejectedError, encode


class EndpointPredictor:
    def __init__(self, endpoints: Mapping[str, str], client: Any | None = None) -> None:
        self.endpoints = dict(endpoints)
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("sagemaker-runtime", client_config(attempts=3, read_timeout=60.0))
        return self._client

    def predict(
        self, model: ModelName, rows: Sequence[dict[str, Any]], content_type: str = "application/json"
    ) -> dict[str, Any]:
        endpoint = self.endpoints.get(model)
        if not endpoint:
            raise ModelUnavailableError(f"no endpoint configured for the {model} model")
        try:
            response = self.client.invoke_endpoint(
                EndpointName=endpoint,
                ContentType=content_type,
                Accept="application/json",
                Body=encode(rows, content_type),
            )
        except ClientError as exc:
            info = exc.response.get("Error", {})
            status = int(exc.response.get("OriginalStatusCode") or 0)
            if error_code(exc) == "ModelError" and 400 <= status < 500:
                try:
                    body = json.loads(exc.response.get("OriginalMessage") or info.get("Message") or "{}")
                except json.JSONDecodeError:
                    body = {"error": info.get("Message", "rejected")}
                raise PredictionRejectedError(status, str(body.get("error")), body.get("errors")) from exc
            if error_code(exc) == "ValidationError" and "not found" in str(info.get("Message", "")):
                raise ModelUnavailableError(f"endpoint {endpoint} not found: {info.get('Message')}") from exc
            raise
        answer: dict[str, Any] = json.loads(response["Body"].read())
        return answer
