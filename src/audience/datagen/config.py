"""The generator's configuration: one frozen value, so a run is reproducible from it alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

REFERENCE_DATE: Final = date(2026, 11, 1)
"""Sign-ups and publication dates lie before this day, so the reference tables never depend on ``now``."""

WINDOW_END_LAG: Final = timedelta(minutes=1)
"""The event window ends this long before ``now``."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class GeneratorConfig:
    """What to generate. The same config (seed *and* ``now``) always gives the same output.

    ``target_events`` is exact: :func:`~audience.datagen.generate` yields exactly that many items,
    bad events and retries included.
    """

    seed: int = 7
    n_users: int = 5_000
    n_content: int = 2_000
    target_events: int = 100_000
    now: datetime = field(default_factory=_now)
    """Aware; the window ends one minute before it. Defaults to the current time."""
    window_days: float = 6.0
    """The API rejects events older than 7 days: a longer window is history for ``audience import``.
    Users act only after their sign-up and content is played only after its publication, so a
    window may start before ``reference_date``."""
    bad_share: float = 0.02
    """Share of the items that are deliberately invalid, each labelled with its :class:`Defect`."""
    duplicate_share: float = 0.01
    """Share of the items that are exact client retries of an earlier event (same ``event_id``)."""
    reference_date: date = REFERENCE_DATE

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC))")
        if self.n_users < 1 or self.n_content < 1:
            raise ValueError("n_users and n_content must be at least 1")
        if self.target_events < 0:
            raise ValueError("target_events must not be negative")
        if not 0 < self.window_days <= 366:
            raise ValueError("window_days must be in (0, 366]")
        if self.bad_share < 0 or self.duplicate_share < 0 or self.bad_share + self.duplicate_share > 0.5:
            raise ValueError("bad_share and duplicate_share must be non-negative and add up to at most 0.5")
        if self.window_end.date() < self.reference_date:
            raise ValueError(
                f"the event window ends {self.window_end:%Y-%m-%d}, before reference_date "
                f"{self.reference_date}: users who signed up later would never act; pass an earlier reference_date"
            )

    @property
    def window_end(self) -> datetime:
        return self.now.astimezone(UTC) - WINDOW_END_LAG

    @property
    def window_start(self) -> datetime:
        return self.window_end - timedelta(days=self.window_days)
