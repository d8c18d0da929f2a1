"""Rewrites the training workflow's Athena export into the CSV Personalize imports.

Input: ``{"source_key", "target_key"}`` (keys in the lake bucket). Athena's result quotes every
field and lower-cases the header; :func:`audience.activation.personalize_csv.rewrite_for_personalize`
streams it to ``target_key`` with the schema's unquoted header. Returns the target's ``s3://``
location (what the import job reads) and the row count. A malformed export raises
:class:`ExportFormatError`, which the workflow's Catch reports under this step's name.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from audience.activation.personalize_csv import rewrite_for_personalize
from audience.activation.ports import TextObjects
from audience.activation.wiring import lake_text_objects
from audience.core.observability import logger
from audience.core.settings import get_settings


class PrepareInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source_key: str = Field(min_length=1, max_length=1024)
    target_key: str = Field(min_length=1, max_length=1024)


@logger.inject_lambda_context(log_event=False)
def handler(
    event: dict[str, Any], context: LambdaContext, objects: TextObjects | None = None
) -> dict[str, Any]:
    request = PrepareInput.model_validate(event)
    if request.source_key == request.target_key:
        raise ValueError("the prepared file must not overwrite the export it is read from")
    settings = get_settings()
    store = objects or lake_text_objects(settings)
    with store.writer(request.target_key) as out:
        rows = rewrite_for_personalize(store.read_lines(request.source_key), out)
    logger.info("prepared interactions", extra={"rows": rows, "target_key": request.target_key})
    return {"location": f"s3://{settings.lake_bucket}/{request.target_key}", "rows": rows}
