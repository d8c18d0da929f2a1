"""Packing counter writes into DynamoDB transactions (pure: records in, groups of records out).

A transaction holds at most 100 actions and may not touch an item twice. Records are grouped by
content; a group costs ``claims + 1 (TOTAL) + distinct hours`` actions, and whole groups are packed
into transactions first-fit. Only a group that alone exceeds 100 actions is split (by hour, into
transactions of their own), which is the only case where a (content, bucket) gets more than one
update per request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from audience.ingest.counters import hour_bucket
from schemas.engagement import LakeRecord

MAX_TRANSACTION_ACTIONS = 100


@dataclass
class _Unit:
    """Records of one content that go into one transaction, and the actions they take."""

    content_id: str
    records: list[LakeRecord]
    actions: int


@dataclass
class _Transaction:
    """Units packed so far; the action total and the contents are kept as units are added, so
    packing a request is linear in its records (recounting every unit per fit test was quadratic:
    29% of the handler's CPU on the AWS path, measured by bench/ingest.py)."""

    units: list[_Unit] = field(default_factory=list)
    actions: int = 0
    contents: set[str] = field(default_factory=set)

    def fits(self, unit: _Unit) -> bool:
        return self.actions + unit.actions <= MAX_TRANSACTION_ACTIONS and unit.content_id not in self.contents

    def add(self, unit: _Unit) -> None:
        self.units.append(unit)
        self.actions += unit.actions
        self.contents.add(unit.content_id)

    @property
    def records(self) -> list[LakeRecord]:
        return [r for u in self.units for r in u.records]


def _split_group(content_id: str, records: list[LakeRecord]) -> Iterator[_Unit]:
    """One content's records as units of at most 100 actions: claims, its TOTAL, one per hour."""
    hours = [hour_bucket(r) for r in records]
    actions = len(records) + 1 + len(set(hours))
    if actions <= MAX_TRANSACTION_ACTIONS:
        yield _Unit(content_id, records, actions)
        return
    chunk: list[LakeRecord] = []
    chunk_hours: set[str] = set()
    for hour, record in sorted(zip(hours, records, strict=True), key=lambda pair: pair[0]):  # stable
        added = 1 + (hour not in chunk_hours)
        if chunk and len(chunk) + 1 + len(chunk_hours) + added > MAX_TRANSACTION_ACTIONS:
            yield _Unit(content_id, chunk, len(chunk) + 1 + len(chunk_hours))
            chunk, chunk_hours = [], set()
        chunk.append(record)
        chunk_hours.add(hour)
    if chunk:
        yield _Unit(content_id, chunk, len(chunk) + 1 + len(chunk_hours))


def plan_transactions(records: Sequence[LakeRecord]) -> list[list[LakeRecord]]:
    """Pack records (unique ids) into transactions of at most 100 actions, whole content groups first-fit."""
    groups: dict[str, list[LakeRecord]] = {}
    for record in records:
        groups.setdefault(record.content_id, []).append(record)
    transactions: list[_Transaction] = []
    for content_id, group in groups.items():
        for unit in _split_group(content_id, group):
            target = next((t for t in transactions if t.fits(unit)), None)
            if target is None:
                target = _Transaction()
                transactions.append(target)
            target.add(unit)
    return [t.records for t in transactions]
