"""Post-processing task of the segment state machine: job output -> named segments -> destination.

Input (from the state machine): ``{"bucket", "output_key", "job_name", "model_version"?}``, where
``output_key`` is the batch segment job's ``<input file name>.out``. Output: the report (one entry
per line, succeeded/failed counts, API calls per segment). A line that failed, or a segment the
destination refused, is reported, never silently dropped; the function raises (so the state
machine's Catch reports it) only when no segment at all could be activated.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from audience.activation.postprocess import postprocess
from audience.activation.wiring import ActivationPorts, build_activation
from audience.core.observability import logger
from audience.core.settings import ActivationSettings, get_settings


class SegmentPostprocessSettings(ActivationSettings):
    """The post-processing step: the lake bucket, and the chosen destination's own resources."""

    REQUIRED_IN_AWS = ("lake_bucket",)


SETTINGS = get_settings.load(SegmentPostprocessSettings)  # cold start: a missing setting fails here


class PostprocessInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    output_key: str = Field(min_length=1)
    job_name: str = Field(min_length=1)
    model_version: str | None = None


class NoSegmentActivatedError(RuntimeError):
    """Every line of the job output failed or was refused by the destination."""


@logger.inject_lambda_context(log_event=False)
def handler(
    event: dict[str, Any], context: LambdaContext, ports: ActivationPorts | None = None
) -> dict[str, Any]:
    """``ports``: the lake and the destination (default: the wiring's, from this function's settings)."""
    request = PostprocessInput.model_validate(event)
    settings = get_settings.load(SegmentPostprocessSettings)
    ports = ports or build_activation(settings)
    body = ports.lake.get_object(request.output_key)
    report = postprocess(
        body.decode("utf-8").splitlines(),
        job=request.job_name,
        store=ports.lake,
        destination=ports.destination,
        endpoints_key=settings.endpoints_key,
        model_version=request.model_version,
    )
    result = report.as_dict()
    logger.info(
        "segments post-processed",
        extra={
            "job": request.job_name,
            "destination": report.destination,
            "succeeded": result["succeeded"],
            "failed": result["failed"],
            "api_calls_per_segment": result["api_calls_per_segment"],
        },
    )
    if report.segments and result["succeeded"] == 0:
        reasons = "; ".join(f"line {s.line}: {s.error}" for s in report.failed)
        raise NoSegmentActivatedError(reasons[:1000])
    return result
