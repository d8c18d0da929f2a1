"""The recommendations workflow's batch Lambda (direct invoke from the state machine).

``{"action": "prepare", "source_key", "target_key"}`` rewrites the Athena export of interactions
into the CSV Personalize imports (the training workflow's rewrite,
:func:`audience.activation.personalize_csv.rewrite_for_personalize`: Athena quotes the header and
lower-cases it, Personalize's import refuses both);
``{"action": "baseline", "interactions_key", "items_key", "users_key", "output_prefix", "num_results"}``
runs the baseline's batch job; ``{"action": "load", "output_key", "cold_key", "model"}`` loads a
Personalize batch inference output into the table; ``{"action": "online", "results_key",
"report_prefix"}`` analyses the A/B query's result into a JSON report. Bad input raises ``ValueError`` with the reason,
which the state machine's Catch reports by step name.
"""

from __future__ import annotations

import io
from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from audience.activation.personalize_csv import rewrite_for_personalize
from audience.core.observability import discard_unpublished_metrics, logger, metrics, tracer
from audience.recommend.cloud_batch import baseline_batch, load_batch_output, online_report
from audience.recommend.settings import RecommendSettings
from audience.recommend.wiring import lake_store, recommendations_table, recommender


class PrepareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["prepare"]
    source_key: str = Field(min_length=1, max_length=1024)
    target_key: str = Field(min_length=1, max_length=1024)


def prepare(store: Any, request: PrepareRequest) -> dict[str, Any]:
    """The export rewritten for Personalize at ``target_key`` (the same file the baseline reads)."""
    if request.source_key == request.target_key:
        raise ValueError("the prepared file must not overwrite the export it is read from")
    out = io.StringIO()
    rows = rewrite_for_personalize(store.get_object(request.source_key).decode("utf-8").splitlines(), out)
    store.put_object(request.target_key, out.getvalue().encode("utf-8"), "text/csv")
    return {"key": request.target_key, "rows": rows}


class BaselineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["baseline"]
    interactions_key: str = Field(min_length=1)
    items_key: str = Field(min_length=1)
    users_key: str = Field(min_length=1)
    output_prefix: str = Field(min_length=1)
    num_results: int = Field(ge=1, le=500)


class LoadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["load"]
    output_key: str = Field(min_length=1)
    cold_key: str = Field(min_length=1)
    model: str = "aws-user-personalization-v2"


class OnlineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["online"]
    results_key: str = Field(min_length=1)
    report_prefix: str = Field(min_length=1)


def answer(
    event: dict[str, Any], settings: RecommendSettings, store: Any = None, table: Any = None
) -> dict[str, Any]:
    store = store if store is not None else lake_store(settings)
    table = table if table is not None else recommendations_table(settings)
    if event.get("action") == "prepare":
        return prepare(store, PrepareRequest.model_validate(event))
    if event.get("action") == "baseline":
        b = BaselineRequest.model_validate(event)
        return baseline_batch(
            store, table, recommender("baseline"),
            interactions_key=b.interactions_key, items_key=b.items_key, users_key=b.users_key,
            output_prefix=b.output_prefix, num_results=b.num_results, ttl_seconds=settings.recommendation_ttl_seconds,
        )  # fmt: skip
    if event.get("action") == "online":
        o = OnlineRequest.model_validate(event)
        return online_report(store, results_key=o.results_key, report_prefix=o.report_prefix)
    load = LoadRequest.model_validate(event)
    return load_batch_output(
        store, table, output_key=load.output_key, cold_key=load.cold_key, model=load.model,
        ttl_seconds=settings.recommendation_ttl_seconds,
    )  # fmt: skip


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def _handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = answer(event, RecommendSettings())
    logger.info("recommendations batch step done", extra={"action": event.get("action"), **result})
    return result


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = _handler(event, context)
        return response
    finally:
        discard_unpublished_metrics()
