"""Athena as the :class:`~audience.insights.ports.LakeQuery`: parameterised queries in a workgroup.

Values reach Athena only through ``ExecutionParameters``, which Athena substitutes into the
prepared statement as literals: numbers as they are, text as a quoted string literal with its
quotes doubled. Nothing from a caller is ever part of ``QueryString``.

The workgroup (stacks/web.yaml ``LakeQueryWorkGroup``) enforces its own results location,
encryption and bytes-scanned cutoff, so the adapter passes no ``ResultConfiguration``.
Completion is polled with tenacity until a deadline; a failed or cancelled query raises
:class:`~audience.insights.ports.LakeQueryError` carrying Athena's ``StateChangeReason``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_exponential

from audience.core.aws import client_config, error_code, new_client
from audience.insights.ports import LakeQueryError, Param, Row

_DONE = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


def literal(value: Param) -> str:
    """One ``ExecutionParameters`` entry: the SQL literal Athena substitutes for a ``?``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _convert(value: str | None, kind: str) -> Any:
    if value is None:
        return None
    kind = kind.lower()
    if kind in ("tinyint", "smallint", "integer", "int", "bigint"):
        return int(value)
    if kind in ("double", "float", "real"):
        return float(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "boolean":
        return value.lower() == "true"
    if kind == "date":
        return date.fromisoformat(value)
    if kind.startswith("timestamp"):
        return datetime.fromisoformat(value)
    return value


class AthenaLakeQuery:
    def __init__(
        self,
        *,
        workgroup: str,
        database: str,
        client: Any | None = None,
        timeout_seconds: float = 60.0,
        poll_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.workgroup = workgroup
        self.database = database
        self._client = client
        self.timeout_seconds = timeout_seconds
        self.poll_seconds = poll_seconds
        self._sleep = sleep
        self._tables: set[str] = set()

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("athena", client_config(attempts=3, read_timeout=10.0))
        return self._client

    def available(self, table: str) -> bool:
        """Whether the Glue table exists. Only a "yes" is remembered: a producer's table created
        after this instance started is seen on the next call."""
        if table in self._tables:
            return True
        try:
            self.client.get_table_metadata(
                CatalogName="AwsDataCatalog", DatabaseName=self.database, TableName=table
            )
        except ClientError as exc:
            if error_code(exc) in ("MetadataException", "EntityNotFoundException"):
                return False
            raise LakeQueryError(f"cannot look up table {table}: {error_code(exc)}") from exc
        self._tables.add(table)
        return True

    def run(self, sql: str, params: Sequence[Param]) -> list[Row]:
        request: dict[str, Any] = {
            "QueryString": sql,
            "WorkGroup": self.workgroup,
            "QueryExecutionContext": {"Catalog": "AwsDataCatalog", "Database": self.database},
        }
        if params:
            request["ExecutionParameters"] = [literal(p) for p in params]
        try:
            query_id = self.client.start_query_execution(**request)["QueryExecutionId"]
        except ClientError as exc:
            raise LakeQueryError(f"Athena refused the query: {error_code(exc)}") from exc
        self._wait(query_id)
        return self._results(query_id)

    def _state(self, query_id: str) -> dict[str, Any]:
        status: dict[str, Any] = self.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"][
            "Status"
        ]
        return status

    def _wait(self, query_id: str) -> None:
        retrying = Retrying(
            retry=retry_if_result(lambda status: status["State"] not in _DONE),
            wait=wait_exponential(multiplier=self.poll_seconds, max=5),
            stop=stop_after_delay(self.timeout_seconds),
            sleep=self._sleep,
        )
        try:
            status = retrying(self._state, query_id)
        except RetryError:
            with contextlib.suppress(ClientError):
                self.client.stop_query_execution(QueryExecutionId=query_id)
            raise LakeQueryError(
                f"query {query_id} did not finish within {self.timeout_seconds:.0f} s (cancelled)"
            ) from None
        if status["State"] != "SUCCEEDED":
            reason = status.get("StateChangeReason") or "no reason given"
            raise LakeQueryError(f"query {query_id} {status['State'].lower()}: {reason}")

    def _results(self, query_id: str) -> list[Row]:
        rows: list[Row] = []
        columns: list[tuple[str, str]] | None = None
        paginator = self.client.get_paginator("get_query_results")
        for page in paginator.paginate(QueryExecutionId=query_id):
            result = page["ResultSet"]
            data = result["Rows"]
            if columns is None:
                info = result["ResultSetMetadata"]["ColumnInfo"]
                columns = [(c["Name"], c["Type"]) for c in info]
                data = data[1:]  # the first page starts with the header row
            for row in data:
                values = [cell.get("VarCharValue") for cell in row["Data"]]
                rows.append(
                    {name: _convert(value, kind) for (name, kind), value in zip(columns, values, strict=True)}
                )
        return rows
