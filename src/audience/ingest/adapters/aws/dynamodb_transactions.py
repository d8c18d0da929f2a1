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

from audience.ingest.counters import TOTAL_BUCKET, hour_bucket
from schemas.engagement import LakeRecord

MAX_TRANSACTION_ACTIONS = 100


@dataclass
class _Unit:
    """Records of one content that go into one transaction."""

    content_id: str
    records: list[LakeRecord]

    @property
    def actions(self) -> int:
        return actions_for(self.records)


@dataclass
class _Transaction:
    units: list[_Unit] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return sum(u.actions for u in self.units)

    def fits(self, unit: _Unit) -> bool:
        return self.actions + unit.actions <= MAX_TRANSACTION_ACTIONS and all(
            u.content_id != unit.content_id for u in self.units
        )

    @property
    def records(self) -> list[LakeRecord]:
        return [r for u in self.units for r in u.records]


def actions_for(records: Sequence[LakeRecord]) -> int:
    """Claims plus one update per (content, bucket)."""
    return len(records) + len({(r.content_id, b) for r in records for b in (TOTAL_BUCKET, hour_bucket(r))})


def _split_group(content_id: str, records: list[LakeRecord]) -> Iterator[_Unit]:
    if actions_for(records) <= MAX_TRANSACTION_ACTIONS:
        yield _Unit(content_id, records)
        return
    chunk: list[LakeRecord] = []
    for record in sorted(records, key=hour_bucket):  # stable: few hours per chunk
        if chunk and actions_for([*chunk, record]) > MAX_TRANSACTION_ACTIONS:
            yield _Unit(content_id, chunk)
            chunk = []
        chunk.append(record)
    if chunk:
        yield _Unit(content_id, chunk)


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
            target.units.append(unit)
    return [t.records for t in transactions]
