"""Rules on batches of lake records shared by the domain and every adapter.

Two rules live here and nowhere else:

* **Deduplication.** One record per ``event_id``, the first occurrence winning
  (:func:`first_per_event_id`). The ingestion service applies it once per request and hands the
  adapters a :class:`UniqueRecords` batch, for which the adapters' own call of the rule is free.
* **Building a record.** An accepted event becomes its :class:`~schemas.engagement.LakeRecord`
  once (:func:`build_lake_records`), and its JSON line is serialised once, in the same step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import orjson
from pydantic import BaseModel
from pydantic_core import to_json

from schemas.engagement import EngagementEvent, LakeLocation, LakeMetadata, LakeRecord, format_lake_timestamp

if TYPE_CHECKING:
    from audience.ingest.ports import LakeRow

    R = TypeVar("R", bound=LakeRow)
else:
    R = TypeVar("R")


class UniqueRecords(list[R], Generic[R]):
    """A batch already reduced to one record per ``event_id`` by :func:`first_per_event_id`.

    Any sub-list of it is unique too, so filters keep the type. Generic over the record type: an
    engagement event's :class:`LakeRecord` or a social post's record."""


def first_per_event_id(records: Iterable[R]) -> UniqueRecords[R]:
    """One record per ``event_id``, the first occurrence winning, in the original order.

    A repeated id within one request is a duplicate; every store keeps the same one."""
    if isinstance(records, UniqueRecords):
        return records
    by_id: dict[str, R] = {}
    for record in records:
        by_id.setdefault(record.event_id, record)
    return UniqueRecords(by_id.values())


_new = object.__new__
_set = object.__setattr__
_BUILT_FIELDS = (
    "event_id", "schema_version", "user_id", "content_id", "event_type", "event_timestamp", "platform",
    "device_type", "location", "session_id", "metadata", "event_id_source", "ingested_at", "request_id",
    "ingest_source", "recommendation_id", "variant",
)  # fmt: skip
if tuple(LakeRecord.model_fields) != _BUILT_FIELDS:  # the contract changed: build_lake_records must follow
    raise RuntimeError(f"LakeRecord fields {tuple(LakeRecord.model_fields)} differ from {_BUILT_FIELDS}")


# The three models are frozen, so an instance's fields-set is never changed in place (pydantic
# raises on assignment before touching it, and copies it in ``model_copy``): every record built here
# shares its class's one set, as every instance of a class has the same fields set.
_LOCATION_SET = set(LakeLocation.model_fields)
_METADATA_SET = set(LakeMetadata.model_fields)
_RECORD_SET = set(LakeRecord.model_fields)
if not all(m.model_config.get("frozen") for m in (LakeLocation, LakeMetadata, LakeRecord)):
    raise RuntimeError("build_checked_records shares fields-sets between instances of frozen models only")

M = TypeVar("M", bound=BaseModel)


def _trusted(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """``cls.model_construct(**values)`` for values that already have every field, validated.

    ``model_construct`` walks the fields in Python (about 7 µs a model); an accepted event's values
    were checked by the contract a moment ago, so this sets the model's four slots directly."""
    model = _new(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def _lake_time(value: datetime) -> str:
    """:func:`schemas.engagement.format_lake_timestamp` for an aware datetime already in UTC."""
    return value.isoformat(sep=" ", timespec="microseconds")[:-6]  # drops "+00:00"


CheckedValues = dict[str, Any]
"""An accepted event's values as the batch path has them: the keys of
:class:`~schemas.engagement.CheckedEvent` (optional ones may be absent), with ``event_id`` resolved,
``event_id_source`` set, ``schema_version`` present and ``timestamp`` in UTC; optionally
``event_timestamp``, the timestamp as the lake line carries it, when the request's text gave it."""

_NO_METADATA: dict[str, Any] = {}


def checked_values(event: EngagementEvent) -> CheckedValues:
    """The checked values of a contract model (the reference path's accepted event)."""
    loc, meta = event.location, event.metadata
    stamp = event.timestamp
    if stamp.tzinfo is not UTC:  # the contract normalises to UTC; this only guards the fast format
        stamp = stamp.astimezone(UTC)
    return {
        "event_id": event.event_id or event.derived_event_id(),
        "event_id_source": "client" if event.event_id else "derived",
        "schema_version": event.schema_version,
        "user_id": event.user_id,
        "content_id": event.content_id,
        "event_type": event.event_type.value,
        "timestamp": stamp,
        "platform": event.platform,
        "device_type": event.device_type.value,
        "location": {"country": loc.country, "region": loc.region, "city": loc.city},
        "session_id": event.session_id,
        "metadata": {
            "view_duration": meta.view_duration,
            "completion_rate": meta.completion_rate,
            "interaction_count": meta.interaction_count,
        },
        "recommendation_id": event.recommendation_id,
        "variant": event.variant,
    }


def build_lake_records(
    events: Sequence[EngagementEvent], *, ingested_at: datetime, request_id: str, ingest_source: str
) -> list[LakeRecord]:
    """The lake records of contract models (:func:`build_checked_records` of their values)."""
    return build_checked_records(
        [checked_values(e) for e in events],
        ingested_at=ingested_at,
        request_id=request_id,
        ingest_source=ingest_source,
    )


def build_checked_records(
    events: Sequence[CheckedValues], *, ingested_at: datetime, request_id: str, ingest_source: str
) -> list[LakeRecord]:
    """The lake records of accepted events, each built once with its JSON line.

    Equal to ``LakeRecord.from_event(...)`` and its ``to_json_line()`` (a test holds them equal): the
    values are laid out in the record's field order with the timestamps as the line carries them,
    serialised by orjson (what pydantic-core writes, byte for byte, four times faster), then the
    same dict becomes the record, timestamps as datetimes.
    The batch path's location and metadata dicts are used as they are when they already have every
    key (a location or metadata model's values, in its field order)."""
    at = ingested_at.astimezone(UTC)
    at_text = format_lake_timestamp(at)
    out: list[LakeRecord] = []
    append = out.append
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for event in events:
        loc = event["location"]
        if len(loc) != 3:
            loc = {"country": loc["country"], "region": loc.get("region"), "city": loc.get("city")}
        meta = event.get("metadata") or _NO_METADATA
        if len(meta) != 3:
            view = meta.get("view_duration")
            completion = meta.get("completion_rate")
            meta = {
                "view_duration": None if view is None else float(view),
                "completion_rate": None if completion is None else float(completion),
                "interaction_count": meta.get("interaction_count"),
            }
        stamp = event["timestamp"]
        values: dict[str, Any] = {
            "event_id": event["event_id"],
            "schema_version": event["schema_version"],
            "user_id": event["user_id"],
            "content_id": event["content_id"],
            "event_type": event["event_type"],
            "event_timestamp": event.get("event_timestamp") or _lake_time(stamp),
            "platform": event["platform"],
            "device_type": event["device_type"],
            "location": loc,
            "session_id": event["session_id"],
            "metadata": meta,
            "event_id_source": event["event_id_source"],
            "ingested_at": at_text,
            "request_id": request_id,
            "ingest_source": ingest_source,
            "recommendation_id": event.get("recommendation_id"),
            "variant": event.get("variant"),
        }
        try:
            line = dumps(values, option=newline).decode()
        except TypeError:  # orjson's refusal (none is known for checked values): pydantic-core's line
            line = to_json(values).decode() + "\n"
        values["event_timestamp"] = stamp
        values["ingested_at"] = at
        values["location"] = _trusted(LakeLocation, loc, _LOCATION_SET)
        values["metadata"] = _trusted(LakeMetadata, meta, _METADATA_SET)
        values["json_line"] = line  # LakeRecord.json_line is a cached_property: serialised once
        record = _trusted(LakeRecord, values, _RECORD_SET)
        append(record)
    return out
