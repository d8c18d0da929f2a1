"""Ports of the insights package: SQL over the lake, and the model that writes an insight.

Like :mod:`audience.ingest.ports`, nothing here knows AWS: Athena and Bedrock are adapters
(:mod:`audience.insights.adapters.aws.athena`, :mod:`audience.insights.adapters.aws.bedrock`), DuckDB and the rules
writer the local defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol, runtime_checkable

from audience.insights.models import Insight, InsightInputs

TOOL_NAME: Final = "record_insight"
"""The one tool an :class:`InsightModel` must answer through: the prompt names it, the adapter forces it."""

RulesWriter = Callable[[InsightInputs], Insight]
"""Writes an insight from the numbers alone (no model): the default and the fallback."""

Param = str | int | float
"""A query parameter. Timestamps travel as ``YYYY-MM-DD HH:MM:SS`` text and are cast in the SQL."""

Row = dict[str, Any]


class LakeQueryError(RuntimeError):
    """A query failed (Athena's state-change reason, or DuckDB's error), or timed out."""


@runtime_checkable
class LakeQuery(Protocol):
    """Runs one of :mod:`audience.insights.queries` over the lake's tables (Glue names)."""

    def run(self, sql: str, params: Sequence[Param]) -> list[Row]:
        """Rows as dicts keyed by column name, values converted to Python types."""
        ...

    def available(self, table: str) -> bool:
        """Whether ``table`` exists (another issue's producer may not have written it yet)."""
        ...


class LanguageModelUnavailableError(RuntimeError):
    """The model could not be asked (throttled, denied, timed out): fall back to the rules."""


@runtime_checkable
class InsightModel(Protocol):
    """A language model that proposes an insight as the JSON arguments of a forced tool call."""

    model_id: str

    def propose(self, system: str, user: str, schema: dict[str, Any]) -> dict[str, Any]:
        """The tool input the model produced (unvalidated). Raises :class:`LanguageModelUnavailableError`."""
        ...
