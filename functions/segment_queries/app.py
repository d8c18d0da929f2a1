"""Validates a batch segment job's queries file before the job starts.

Input: ``{"queries_key", "num_results"}``. The file is JSON lines, at most 10 queries, each exactly
``{"itemAttributes": "<expression>"}``. A bad file raises :class:`QueryConfigError` with one reason
per line, which the training workflow's Catch turns into a failure naming this step.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from audience.activation.queries import check_num_results, read_queries
from audience.core.objectstore.ports import ObjectStore
from audience.core.objectstore.wiring import lake_store
from audience.core.observability import logger
from audience.core.settings import CoreSettings, get_settings


class ValidateQueriesSettings(CoreSettings):
    """The queries check: it reads the queries file from the lake bucket."""

    REQUIRED_IN_AWS = ("lake_bucket",)


SETTINGS = get_settings.load(ValidateQueriesSettings)  # cold start: a missing setting fails here


class ValidateInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    queries_key: str = Field(min_length=1)
    num_results: int


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext, lake: ObjectStore | None = None) -> dict[str, Any]:
    """``lake``: the lake's object store (default: the wiring's, from this function's settings)."""
    request = ValidateInput.model_validate(event)
    check_num_results(request.num_results)
    lake = lake or lake_store(get_settings.load(ValidateQueriesSettings))
    body = lake.get_object(request.queries_key)
    queries = read_queries(body.decode("utf-8").splitlines())
    return {"queries": [q.text for q in queries], "count": len(queries), "num_results": request.num_results}
