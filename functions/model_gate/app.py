"""The retraining workflow's evaluate step: the metrics gate on a finished SageMaker training job.

Thin: parse the state machine's payload, read the candidate's ``metrics.json`` (in the job's
``output.tar.gz``) and the in-service record (``models/<model>/current.json``) from the model bucket,
call :func:`audience.models.evaluate.evaluate`, return the decision (the state machine's Choice reads
``promote``; on promotion it stores this decision as the next ``current.json``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from audience.core.observability import logger
from audience.core.settings import get_settings
from audience.models.evaluate import GateRequest, evaluate


class GateEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = Field(pattern="^(engagement|churn)$")
    training_job_name: str = Field(min_length=1, max_length=63)
    output_path: str = Field(pattern="^s3://")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from audience.core.objectstore.adapters.aws import S3ObjectStore

    settings = get_settings()
    if not settings.model_bucket:
        raise RuntimeError("AUDIENCE_MODEL_BUCKET is not set")
    request = GateEvent.model_validate(event)
    decision = evaluate(
        S3ObjectStore(settings.model_bucket),
        GateRequest(request.model, request.training_job_name, request.output_path, settings.model_bucket),
    )
    logger.info(
        "model gate",
        extra={"model": request.model, "job": request.training_job_name, "promote": decision["promote"]},
    )
    return decision
