"""The retraining workflow's evaluate step: the metrics gate on a finished SageMaker training job.

Thin: parse the state machine's payload, read the candidate's ``metrics.json`` (in the job's
``output.tar.gz``) and the in-service record (``models/<model>/current.json``) from the model bucket,
call :func:`audience.models.evaluate.evaluate`, return the decision (the state machine's Choice reads
``promote``; on promotion it stores this decision as the next ``current.json``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from audience.core.objectstore.ports import ObjectStore
from audience.core.objectstore.wiring import bucket_store
from audience.core.observability import logger
from audience.core.settings import ModelsSettings, get_settings
from audience.models.evaluate import GateRequest, evaluate


class ModelGateSettings(ModelsSettings):
    """The retraining workflow's gate: it reads and compares metrics in the model bucket."""

    REQUIRED_IN_AWS = ("model_bucket",)


SETTINGS = get_settings.load(ModelGateSettings)  # cold start: a missing setting fails here


class GateEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = Field(pattern="^(engagement|churn)$")
    training_job_name: str = Field(min_length=1, max_length=63)
    output_path: str = Field(pattern="^s3://")


def handler(event: dict[str, Any], context: Any, models: ObjectStore | None = None) -> dict[str, Any]:
    """``models``: the model bucket's object store (default: the S3 bucket of this function's settings)."""
    bucket = get_settings.load(ModelGateSettings).need("model_bucket")
    request = GateEvent.model_validate(event)
    decision = evaluate(
        models or bucket_store(bucket),
        GateRequest(request.model, request.training_job_name, request.output_path, bucket),
    )
    logger.info(
        "model gate",
        extra={"model": request.model, "job": request.training_job_name, "promote": decision["promote"]},
    )
    return decision
