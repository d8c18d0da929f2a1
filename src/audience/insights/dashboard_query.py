"""The dashboard's request models: the query string of a metric, and the live panel's ids.

Parsing is strict (unknown or repeated parameters, malformed values) and every problem is a
reason in :class:`DashboardParamError`, which the blueprint answers with a JSON 400. Filter values
are whitelisted shapes and are bound as query parameters by :mod:`.dashboard`, never put in SQL.
Identifiers (the live panel's content ids) are the event contract's: any printable string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from audience.insights.models import TimeRange
from schemas.engagement import DeviceType, Identifier
from schemas.features import CONTENT_TYPES

MAX_LIVE_IDS: Final = 20

PlatformName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")]
"""Values are bound as parameters anyway; the pattern keeps the filter to what platform names look like."""
Country = Annotated[
    str,
    BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
    StringConstraints(pattern=r"^[A-Z]{2}$"),
]


class DashboardParamError(ValueError):
    def __init__(self, reasons: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{r['parameter']}: {r['reason']}" for r in reasons))
        self.reasons = reasons


class DashboardQuery(BaseModel):
    """The query string. Empty filters mean "any"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_range: TimeRange = "30d"
    platform: PlatformName | None = None
    country: Country | None = None
    device_type: Literal[tuple(d.value for d in DeviceType)] | None = None  # type: ignore[valid-type]
    content_type: Literal[CONTENT_TYPES] | None = None  # type: ignore[valid-type]
    limit: int = Field(default=10, ge=1, le=50)

    @classmethod
    def parse(cls, args: Mapping[str, list[str]]) -> DashboardQuery:
        reasons = [
            {"parameter": name[:40], "reason": "given more than once"}
            for name, values in args.items()
            if len(values) > 1
        ]
        if reasons:
            raise DashboardParamError(reasons)
        values: dict[str, Any] = {k: v[0] for k, v in args.items() if v and v[0] != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise DashboardParamError(
                [
                    {
                        "parameter": (".".join(str(p) for p in e["loc"]) or "query")[:40],
                        "reason": "unknown parameter" if e["type"] == "extra_forbidden" else e["msg"],
                    }
                    for e in exc.errors(include_input=False, include_url=False)
                ]
            ) from None

    def filters(self) -> dict[str, str]:
        return {
            k: v
            for k, v in self.model_dump(
                include={"platform", "country", "device_type", "content_type"}
            ).items()
            if v
        }


class LiveQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    content_id: list[Identifier] = Field(default_factory=list, max_length=MAX_LIVE_IDS)
