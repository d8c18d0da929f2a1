"""The port through which the platform asks a model for predictions."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

ModelName = Literal["engagement", "churn"]
MODELS: tuple[ModelName, ...] = ("engagement", "churn")


def encode(rows: Sequence[dict[str, Any]], content_type: str) -> bytes:
    """A request body for the handlers: JSON ``{"instances": [...]}`` or CSV with a header row."""
    if content_type == "text/csv":
        out = io.StringIO()
        columns = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode()
    return json.dumps({"instances": list(rows)}).encode()


class PredictionRejectedError(Exception):
    """The model refused the request (a 4xx): ``status`` and the per-row ``errors`` say why."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or []

    def to_dict(self) -> dict[str, Any]:
        """The 400-style error object the local serving path answers with."""
        return {"status": self.status, "error": self.message, "errors": self.errors}


class ModelUnavailableError(Exception):
    """No model has been promoted yet (locally) or the endpoint does not exist (AWS)."""


@runtime_checkable
class ModelPredictor(Protocol):
    """Predictions for rows of features: a SageMaker endpoint in AWS, the same handlers in-process locally."""

    def predict(
        self, model: ModelName, rows: Sequence[dict[str, Any]], content_type: str = "application/json"
    ) -> dict[str, Any]:
        """The handlers' JSON answer (``predictions`` in row order); raises PredictionRejectedError on a 4xx."""
        ...


@dataclass(frozen=True)
class EndpointSpec:
    endpoint: str
    source_dir_uri: str
    region: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1


class Deployer(Protocol):
    """The state machine's deployment steps (SageMaker CreateModel .. Create/UpdateEndpoint)."""

    def deploy(self, *, job: dict[str, Any], spec: EndpointSpec, role_arn: str, image_uri: str) -> str: ...
