"""One insight: gather -> (stored?) -> ask -> validate -> retry once -> fall back -> store.

A Bedrock answer is kept only if it validates against :class:`Insight` *and* every figure in it
traces to the inputs (:mod:`.numbers`). The first invalid answer is sent back once with the reason;
a second invalid answer, or a model that cannot be reached, falls back to the rules writer, and
the record says so (``writer = "rules-fallback"`` with a note).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError

from audience.insights.gather import Gatherer
from audience.insights.models import Insight, InsightInputs, InsightRecord, InsightRequest, insight_schema
from audience.insights.numbers import check_insight
from audience.insights.ports import InsightModel, LanguageModelUnavailableError, RulesWriter
from audience.insights.prompt import SYSTEM, user_message
from audience.insights.store import InsightStore, inputs_key, latest_key


class InvalidAnswerError(ValueError):
    pass


def validate_answer(answer: dict[str, Any], inputs: InsightInputs) -> Insight:
    """The model's tool input as an :class:`Insight`, or :class:`InvalidAnswerError` saying why."""
    try:
        insight = Insight.model_validate(answer)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)[:10]
        )
        raise InvalidAnswerError(f"the answer does not match the schema ({reasons})") from None
    unsupported = check_insight(insight, inputs)
    if unsupported:
        raise InvalidAnswerError(
            f"these figures are not in the data or derived from it: {', '.join(unsupported[:10])}"
        )
    return insight


@dataclass
class Written:
    insight: Insight
    writer: Literal["bedrock", "rules", "rules-fallback"]
    notes: list[str] = field(default_factory=list)


def ask(model: InsightModel | None, inputs: InsightInputs, rules: RulesWriter) -> Written:
    """The model's validated answer, else the rules writer's (``rules``: injected by the wiring)."""
    if model is None:
        return Written(rules(inputs), "rules")
    notes: list[str] = []
    schema = insight_schema()
    rejection: str | None = None
    for attempt in (1, 2):
        try:
            answer = model.propose(SYSTEM, user_message(inputs, rejection), schema)
        except LanguageModelUnavailableError as exc:
            notes.append(f"attempt {attempt}: model unavailable ({exc})")
            break
        try:
            return Written(validate_answer(answer, inputs), "bedrock", notes)
        except InvalidAnswerError as exc:
            rejection = str(exc)
            notes.append(f"attempt {attempt}: invalid answer ({exc})")
    notes.append("answered by the rules writer")
    return Written(rules(inputs), "rules-fallback", notes)


class InsightService:
    def __init__(
        self,
        gatherer: Gatherer,
        store: InsightStore,
        model: InsightModel | None,
        ttl_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        rules: RulesWriter,
    ) -> None:
        self.gatherer = gatherer
        self.rules = rules
        self.store = store
        self.model = model
        self.ttl = timedelta(seconds=ttl_seconds)
        self.clock = clock

    def insight(self, request: InsightRequest) -> tuple[InsightRecord, str]:
        """The record and how it was obtained: ``stored`` (fresh), ``reused`` (same inputs) or ``written``."""
        now = self.clock()
        key = latest_key(request.kind, request.subject_id, request.time_range)
        if not request.refresh:
            latest = self.store.load(key)
            if latest is not None and now - latest.checked_at < self.ttl:
                return latest, "stored"
        inputs = self.gatherer.gather(request, now)
        digest = inputs.digest()
        same = None if request.refresh else self.store.load(inputs_key(digest))
        if same is not None and same.writer == "rules-fallback" and self.model is not None:
            same = None  # the model failed last time: ask it again rather than keep the fallback
        if same is not None:
            record = same.model_copy(update={"checked_at": now})
            how = "reused"
        else:
            written = ask(self.model, inputs, self.rules)
            record = InsightRecord(
                subject=inputs.subject,
                time_range=request.time_range,
                generated_at=now,
                checked_at=now,
                inputs_hash=digest,
                writer=written.writer,
                model_id=self.model.model_id if self.model and written.writer == "bedrock" else None,
                notes=written.notes,
                insight=written.insight,
                inputs=inputs,
            )
            how = "written"
        self.store.save(record)
        return record, how
