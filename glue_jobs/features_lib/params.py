"""The jobs' argument contract and the time window it defines.

Every job takes ``--name value`` arguments (Glue's form). On AWS Glue they are read with
``awsglue.utils.getResolvedOptions``; elsewhere with ``argparse`` (unknown arguments, such as the ones
Glue adds itself, are ignored), so the same command line works in both places.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

REQUIRED: Final = ("lake_path", "reference_path")
COMMON: Final = ("lake_path", "reference_path", "as_of", "lookback_days", "max_event_age_days")
WEIGHTS: Final = ("like_weight", "share_weight", "complete_weight")
"""Each job's arguments are ``COMMON`` plus its own (see the job scripts)."""


@dataclass(frozen=True)
class Window:
    """The ``lookback_days`` whole UTC days ending with the ``as_of`` day.

    Events count when ``start <= event_timestamp < end``; ``end`` (the end of the ``as_of`` day, 00:00
    UTC of the next day) is also the reference time recency is measured from.
    """

    as_of: date
    lookback_days: int
    max_event_age_days: int

    @property
    def end(self) -> datetime:
        return datetime.combine(self.as_of + timedelta(days=1), time(0), tzinfo=UTC)

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.lookback_days)

    def arrival_days(self, *, after_end_days: int = 0) -> list[date]:
        """The arrival partitions (``year=/month=/day=``) that can hold events of the window.

        From the day before the window starts (the API accepts clocks up to 5 minutes fast, so an event
        stamped just after midnight can arrive the day before) to ``as_of + max_event_age_days + 1``:
        the API rejects events older than the age limit, and Firehose's buffering (up to 15 minutes)
        can carry one accepted just before midnight into the next day's partition. ``after_end_days``
        extends the range for events after the window (the churn horizon).
        """
        first = self.start.date() - timedelta(days=1)
        last = self.as_of + timedelta(days=self.max_event_age_days + 1 + after_end_days)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class JobParams:
    lake_path: str
    reference_path: str
    as_of: date
    lookback_days: int = 28
    max_event_age_days: int = 7
    like_weight: float = 2.0
    share_weight: float = 3.0
    complete_weight: float = 5.0
    churn_horizon_days: int = 30
    trend_recent_days: int = 7

    def __post_init__(self) -> None:
        problems = []
        if self.lookback_days < 1:
            problems.append("--lookback_days must be at least 1")
        if self.max_event_age_days < 0:
            problems.append("--max_event_age_days must not be negative")
        if self.churn_horizon_days < 1:
            problems.append("--churn_horizon_days must be at least 1")
        if not 1 <= self.trend_recent_days < self.lookback_days:
            problems.append("--trend_recent_days must be at least 1 and less than --lookback_days")
        if min(self.like_weight, self.share_weight, self.complete_weight) < 0:
            problems.append("the weights must not be negative")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def window(self) -> Window:
        return Window(self.as_of, self.lookback_days, self.max_event_age_days)

    @property
    def weights(self) -> tuple[float, float, float]:
        """(like, share, complete) weights of the engagement score."""
        return (self.like_weight, self.share_weight, self.complete_weight)

    def table_path(self, table: str) -> str:
        """Where a table's partition for this ``as_of`` is written (overwritten as a whole)."""
        return f"{self.lake_path.rstrip('/')}/features/{table}/as_of={self.as_of.isoformat()}"


def resolve_as_of(value: str, today: date) -> date:
    """``YYYY-MM-DD``, or ``yesterday``: the UTC date before ``today`` (the job's start date, UTC)."""
    if value == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--as_of must be YYYY-MM-DD or 'yesterday', not {value!r}") from None


_TYPES: dict[str, Callable[[str], Any]] = {f.name: str for f in fields(JobParams)}
_TYPES.update(
    {
        "lookback_days": int,
        "max_event_age_days": int,
        "churn_horizon_days": int,
        "trend_recent_days": int,
        "like_weight": float,
        "share_weight": float,
        "complete_weight": float,
    }
)


def _glue_resolver() -> Callable[[list[str], list[str]], dict[str, str]] | None:
    try:
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    resolver: Callable[[list[str], list[str]], dict[str, str]] = getResolvedOptions
    return resolver


def read_options(names: Sequence[str], argv: Sequence[str]) -> dict[str, str]:
    """The ``--name value`` options among ``names`` found in ``argv`` (plus ``JOB_NAME`` on Glue)."""
    resolver = _glue_resolver()
    if resolver is not None:
        # getResolvedOptions fails on a listed option that is absent: list the optional ones only if given.
        wanted = [n for n in names if n in REQUIRED or f"--{n}" in argv]
        with_job = [*wanted, "JOB_NAME"] if "--JOB_NAME" in argv else wanted
        return dict(resolver(list(argv), with_job))
    parser = argparse.ArgumentParser(description="Feature job (the same arguments as on AWS Glue).")
    for name in names:
        parser.add_argument(f"--{name}", required=name in REQUIRED)
    known, _ = parser.parse_known_args(list(argv[1:]))
    return {k: v for k, v in vars(known).items() if v is not None}


def parse_job_args(names: Sequence[str], argv: Sequence[str], today: date) -> JobParams:
    """Typed parameters from the command line; ``today`` (UTC, the job's start) resolves ``yesterday``."""
    options = read_options(names, argv)
    missing = [n for n in REQUIRED if n not in options]
    if missing:
        raise ValueError(f"missing required arguments: {', '.join('--' + n for n in missing)}")
    values: dict[str, Any] = {}
    for name, text in options.items():
        if name not in _TYPES:
            continue
        try:
            values[name] = _TYPES[name](text)
        except ValueError:
            raise ValueError(f"--{name}: cannot read {text!r} as {_TYPES[name].__name__}") from None
    values["as_of"] = resolve_as_of(options.get("as_of", "yesterday"), today)
    return JobParams(**values)


def job_name(argv: Sequence[str]) -> str | None:
    """Glue passes ``--JOB_NAME``; local runs do not."""
    args = list(argv)
    if "--JOB_NAME" in args and args.index("--JOB_NAME") + 1 < len(args):
        return args[args.index("--JOB_NAME") + 1]
    return None
