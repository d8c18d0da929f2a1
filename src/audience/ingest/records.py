"""Rules on batches of lake records shared by the domain and every adapter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from audience.ingest.ports import LakeRow

    R = TypeVar("R", bound=LakeRow)
else:
    R = TypeVar("R")


def first_per_event_id(records: Iterable[R]) -> list[R]:
    """One record per ``event_id``, the first occurrence winning, in the original order.

    A repeated id within one request is a duplicate; every store keeps the same one."""
    by_id: dict[str, R] = {}
    for record in records:
        by_id.setdefault(record.event_id, record)
    return list(by_id.values())
