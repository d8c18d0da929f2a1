"""The page's serving store in DynamoDB (``docs/decisions.md`` says why DynamoDB over Aurora's Data API).

One run is a handful of items, each section gzip-compressed (an item may hold 400 KB):

===================  ==================  ===========================================
pk                   sk                  attributes
===================  ==================  ===========================================
``RUN#<run_id>``     ``<section>``       ``body`` (gzip JSON), ``expires_at``
``LATEST``           ``RUN``             ``run_id``, ``as_of``
===================  ==================  ===========================================

The sections are written first and the ``LATEST`` pointer last (only if newer: a conditional put), so a
reader never sees half a run. Old runs expire through the table's TTL.
"""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

from botocore.exceptions import ClientError

from audience.core.aws import client_config, error_code, new_client

MAX_ITEM_BYTES = 380_000
RUN_TTL_SECONDS = 7 * 86_400


class RunTooLargeError(ValueError):
    """A section does not fit one DynamoDB item even compressed."""


class DynamoResultStore:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("dynamodb", client_config(attempts=5, read_timeout=5.0))
        return self._client

    def save_run(self, run: dict[str, Any]) -> None:
        run_id = str(run["run_id"])
        expires = str(int(time.time()) + RUN_TTL_SECONDS)
        for section, value in run.items():
            body = gzip.compress(json.dumps(value).encode())
            if len(body) > MAX_ITEM_BYTES:
                raise RunTooLargeError(f"section {section!r} is {len(body)} bytes compressed")
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": f"RUN#{run_id}"},
                    "sk": {"S": section},
                    "body": {"B": body},
                    "expires_at": {"N": expires},
                },
            )
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": "LATEST"},
                    "sk": {"S": "RUN"},
                    "run_id": {"S": run_id},
                    "as_of": {"S": str(run["as_of"])},
                },
                ConditionExpression="attribute_not_exists(pk) OR as_of <= :as_of",
                ExpressionAttributeValues={":as_of": {"S": str(run["as_of"])}},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise  # an older run finishing late leaves the newer pointer in place

    def latest_run(self) -> dict[str, Any] | None:
        pointer = self.client.get_item(
            TableName=self.table_name, Key={"pk": {"S": "LATEST"}, "sk": {"S": "RUN"}}, ConsistentRead=True
        ).get("Item")
        if not pointer:
            return None
        run: dict[str, Any] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"RUN#{pointer['run_id']['S']}"}},
        }
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                run[item["sk"]["S"]] = json.loads(gzip.decompress(item["body"]["B"]))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return run or None
