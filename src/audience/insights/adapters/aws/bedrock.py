"""Bedrock as the :class:`~audience.insights.ports.InsightModel`: the Converse API with a forced tool.

The tool's ``inputSchema`` is the JSON Schema of :class:`~audience.insights.models.Insight` and
``toolChoice`` names it, so the model answers with the tool's arguments, not free text. What comes
back is returned unvalidated; the service validates it (schema, then the figures) and decides.
Any client error (throttling, access denied, a model that does not support forced tools) is a
:class:`~audience.insights.ports.LanguageModelUnavailableError`: the rules writer answers instead.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from audience.core.aws import client_config, error_code, new_client
from audience.insights.ports import TOOL_NAME, LanguageModelUnavailableError


class BedrockInsightModel:
    def __init__(self, model_id: str, client: Any | None = None, max_tokens: int = 2000) -> None:
        self.model_id = model_id
        self._client = client
        self.max_tokens = max_tokens

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("bedrock-runtime", client_config(attempts=2, read_timeout=60.0))
        return self._client

    def request(self, system: str, user: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "modelId": self.model_id,
            "system": [{"text": system}],
            "messages": [{"role": "user", "content": [{"text": user}]}],
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": TOOL_NAME,
                            "description": "Record the insight. The only way to answer.",
                            "inputSchema": {"json": schema},
                        }
                    }
                ],
                "toolChoice": {"tool": {"name": TOOL_NAME}},
            },
            "inferenceConfig": {"maxTokens": self.max_tokens, "temperature": 0.0},
        }

    def propose(self, system: str, user: str, schema: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.converse(**self.request(system, user, schema))
        except ClientError as exc:
            raise LanguageModelUnavailableError(f"Bedrock {error_code(exc)}") from exc
        except BotoCoreError as exc:
            raise LanguageModelUnavailableError(f"Bedrock unreachable: {type(exc).__name__}") from exc
        for block in response.get("output", {}).get("message", {}).get("content", []):
            tool_use = block.get("toolUse")
            if tool_use and tool_use.get("name") == TOOL_NAME and isinstance(tool_use.get("input"), dict):
                answer: dict[str, Any] = tool_use["input"]
                return answer
        return {}
