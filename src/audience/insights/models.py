"""The insights' models: the request, the gathered inputs, and the :class:`Insight` a writer returns.

:class:`Insight` is the answer's contract for both writers: its JSON Schema is the Bedrock tool's
``inputSchema``, and the model's tool input is validated against it before anything is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.engagement import Identifier

TIME_RANGES: Final = {"7d": 7, "30d": 30, "90d": 90}
TimeRange = Literal["7d", "30d", "90d"]

Text = Annotated[str, StringConstraints(min_length=1, max_length=600, strip_whitespace=True)]


class InsightRequest(BaseModel):
    """The Lambda event: exactly one of ``content_id`` / ``segment_id``, and a ``time_range``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    content_id: Identifier | None = None
    segment_id: Identifier | None = None
    time_range: TimeRange = "30d"
    refresh: bool = Field(default=False, description="Ignore a fresh stored insight and write a new one.")

    @model_validator(mode="after")
    def _one_subject(self) -> InsightRequest:
        if (self.content_id is None) == (self.segment_id is None):
            raise ValueError("give exactly one of content_id or segment_id")
        return self

    @property
    def kind(self) -> Literal["content", "segment"]:
        return "content" if self.content_id is not None else "segment"

    @property
    def subject_id(self) -> str:
        value = self.content_id if self.content_id is not None else self.segment_id
        assert value is not None
        return value

    @property
    def days(self) -> int:
        return TIME_RANGES[self.time_range]


# ------------------------------------------------------------------ the answer


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recommendation(_Answer):
    action: Text = Field(description="What to do, concretely.")
    priority: Literal["high", "medium", "low"]
    expected_impact: Text = Field(description="What should change, and which figure shows it.")


class Trend(_Answer):
    metric: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    direction: Literal["up", "down", "flat"]
    change_pct: float | None = Field(
        description="Change against the previous period of equal length, in percent; null if none."
    )
    description: Text


class AudienceInsights(_Answer):
    demographics: list[Text] = Field(max_length=6)
    behaviour: list[Text] = Field(max_length=6)
    preferences: list[Text] = Field(max_length=6)


class Insight(_Answer):
    """What an analyst reads. Every figure in it must come from the inputs (see :mod:`.numbers`)."""

    summary: Text
    strengths: list[Text] = Field(max_length=6)
    opportunities: list[Text] = Field(max_length=6)
    recommendations: list[Recommendation] = Field(min_length=1, max_length=5)
    trends: list[Trend] = Field(max_length=8)
    audience_insights: AudienceInsights


def insight_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Insight` with references inlined (the Bedrock tool's inputSchema)."""
    schema = Insight.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


# ------------------------------------------------------------------ the inputs


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Totals(_Inputs):
    events: int
    users: int
    contents: int
    views: int
    completes: int
    likes: int
    shares: int
    comments: int
    skips: int
    avg_completion_rate: float | None
    watch_seconds: float
    completion_ratio: float | None = Field(description="completes / views, rounded to 4 places.")


class Share(_Inputs):
    value: str
    events: int
    users: int
    share_pct: float = Field(description="This value's share of the subject's events, in percent (1 place).")
    completion_ratio: float | None
    affinity_index: float | None = Field(
        description="share_pct / the same value's share of all events x 100 (1 place); 100 = like everyone."
    )


class DailyPoint(_Inputs):
    date: str
    events: int
    users: int


class Change(_Inputs):
    metric: str
    current: float | None
    previous: float | None
    change_pct: float | None = Field(description="(current - previous) / previous x 100, 1 place.")


class Live(_Inputs):
    events: int
    views: int
    completes: int
    likes: int
    shares: int
    view_hours: float
    last_24h_events: int


class RiskBand(_Inputs):
    risk_band: str
    users: int
    share_pct: float
    avg_probability: float


class Predictions(_Inputs):
    churn: list[RiskBand] | None
    churn_model_version: str | None
    engagement_users: int | None
    avg_predicted_engagement: float | None
    engagement_model_version: str | None


class Subject(_Inputs):
    kind: Literal["content", "segment"]
    id: str
    title: str | None = Field(description="Content title or segment name: user-controlled text, quoted data.")
    content_type: str | None = None
    genre: str | None = None
    members: int | None = None
    segment_as_of: str | None = None


class InsightInputs(_Inputs):
    subject: Subject
    time_range: TimeRange
    window_days: int
    period_start: str
    period_end: str
    previous_start: str
    current: Totals
    previous: Totals
    changes: list[Change]
    breakdowns: dict[str, list[Share]]
    daily: list[DailyPoint]
    live: Live | None
    predictions: Predictions
    not_available: list[str] = Field(description="Inputs that could not be gathered, and why.")

    def digest(self) -> str:
        import hashlib

        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class InsightRecord(BaseModel):
    """A stored insight: the answer, where it came from, and the inputs it was written from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: Subject
    time_range: TimeRange
    generated_at: datetime
    checked_at: datetime = Field(description="When the inputs were last gathered and found unchanged.")
    inputs_hash: str
    writer: Literal["bedrock", "rules", "rules-fallback"]
    model_id: str | None
    notes: list[str]
    insight: Insight
    inputs: InsightInputs
