"""The engagement event data contract: the one source every other schema is derived from.

Policy, documented in ``schemas/README.md``:

* Unknown fields are *rejected*, never dropped: a client that sends a field we do not know gets a
  per-event reason naming it, and the event is quarantined with that reason.
* Types are strict: ``"12"`` is not a number and ``1`` is not a string. Two normalisations are
  applied because they lose nothing: integers are accepted where a float is expected, and
  country codes are upper-cased before being checked against ISO 3166-1.
* Timestamps must carry a UTC offset (``Z`` or ``+hh:mm``) and are normalised to UTC.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, NotRequired

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    Strict,
    StringConstraints,
    field_serializer,
    model_validator,
    with_config,
)
from pydantic_core import CoreSchema, core_schema
from typing_extensions import TypedDict

SCHEMA_VERSION: Final = "1.1"
"""Bumped on any change to the contract; events name the version they were written against.
1.1 added the optional ``recommendation_id`` and ``variant`` (attribution to a served list), and
identifiers that accept any printable text of 1 to 256 characters (1.0: 1 to 128 of
``[A-Za-z0-9._:@/-]``; every 1.0 id is a valid 1.1 id)."""
SCHEMA_VERSIONS: Final = ("1.0", "1.1")

EVENT_ID_NAMESPACE = uuid.UUID("6f1d1c8e-3c2b-4a5e-9d7a-2b8f0e9c4a11")
"""Namespace of the UUIDv5 derived for events sent without an ``event_id``."""


class EventType(StrEnum):
    VIEW = "view"
    LIKE = "like"
    SHARE = "share"
    COMMENT = "comment"
    COMPLETE = "complete"
    SKIP = "skip"


class DeviceType(StrEnum):
    MOBILE = "mobile"
    DESKTOP = "desktop"
    TABLET = "tablet"
    TV = "tv"
    OTHER = "other"


_ISO_ALPHA2 = frozenset(c.alpha_2 for c in pycountry.countries)


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _known_country(value: str) -> str:
    if value not in _ISO_ALPHA2:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp is out of range once converted to UTC") from None


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_text(value: Any) -> Any:
    # Lax datetime parsing would take numbers, and digit strings, as Unix time; the contract says
    # ISO-8601 text.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError("timestamp must be an ISO-8601 string with a UTC offset")
    return value


def _identifier_text(value: str) -> str:
    # Control characters would corrupt logs, CSV exports and terminals; an unpaired surrogate is not
    # text at all (no UTF-8 column can store it). Everything else is the user's id, kept verbatim.
    for char in value:
        if "\ud800" <= char <= "\udfff":
            raise ValueError("identifier contains an unpaired UTF-16 surrogate")
    return value


IDENTIFIER_MAX_LENGTH: Final = 256
_NativeIdentifier = Annotated[
    str,
    Strict(),
    StringConstraints(
        min_length=1, max_length=IDENTIFIER_MAX_LENGTH, pattern=r"^[^\u0000-\u001F\u007F-\u009F]+$"
    ),
]
Identifier = Annotated[_NativeIdentifier, AfterValidator(_identifier_text)]
"""Any printable text of 1..256 characters: URLs, e-mail-like ids with ``+``, spaces, non-ASCII.
Safety lives where ids are used (parameterised SQL, escaped output, encoded keys), not here."""
SHORT_TEXT_MAX_LENGTH: Final = 64
PLACE_NAME_MAX_LENGTH: Final = 128
ShortText = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=SHORT_TEXT_MAX_LENGTH, strip_whitespace=True)
]
PlaceName = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=PLACE_NAME_MAX_LENGTH, strip_whitespace=True)
]
CountryCode = Annotated[
    str,
    Strict(),
    BeforeValidator(_upper),
    StringConstraints(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$"),
    AfterValidator(_known_country),
]
UtcTimestamp = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc)]
Variant = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_-]*$")
]
NonNegativeFloat = Annotated[float, Strict()]
Count = Annotated[int, Strict()]


class _Strict(BaseModel):
    """Unknown fields are errors; strictness is set per type above (strings and numbers are strict)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(_Strict):
    """Where the event happened, coarse enough not to identify a person."""

    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code, e.g. 'US'.")
    region: PlaceName | None = Field(default=None, description="State, province or region name.")
    city: PlaceName | None = Field(default=None, description="City name.")


class EventMetadata(_Strict):
    view_duration: NonNegativeFloat | None = Field(
        default=None, ge=0, le=86_400, description="Seconds of the content consumed in this event."
    )
    completion_rate: NonNegativeFloat | None = Field(
        default=None, ge=0, le=1, description="Share of the content consumed."
    )
    interaction_count: Count | None = Field(default=None, ge=0, le=1_000_000)


class EngagementEvent(_Strict):
    """One engagement event as a client sends it to ``POST /events``."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"title": "EngagementEvent", "$id": "urn:audience:engagement-event:1.1"},
    )

    event_id: Identifier | None = Field(
        default=None,
        description=(
            "Client-generated unique id (a UUID is best). Retries must resend the same id. When absent, "
            "the API derives a UUIDv5 from the event's content, so an identical retry keeps its id."
        ),
    )
    schema_version: Literal["1.0", "1.1"] = Field(
        default=SCHEMA_VERSION, description="Contract version the client wrote against (1.0 or 1.1)."
    )
    user_id: Identifier
    content_id: Identifier
    event_type: EventType
    timestamp: UtcTimestamp = Field(description="ISO-8601 with a UTC offset; normalised to UTC.")
    platform: ShortText = Field(description="Client application, e.g. 'ios-app', 'web', 'roku'.")
    device_type: DeviceType
    location: Location
    session_id: Identifier
    metadata: EventMetadata = Field(default_factory=EventMetadata)
    recommendation_id: Identifier | None = Field(
        default=None,
        description="Since 1.1: the recommendation_id of the served list this engagement came from.",
    )
    variant: Variant | None = Field(
        default=None, description="Since 1.1: the arm that served that list (baseline, personalize)."
    )

    @model_validator(mode="after")
    def _attribution(self) -> EngagementEvent:
        error = attribution_error(self.schema_version, self.recommendation_id, self.variant)
        if error:
            raise ValueError(error)
        return self

    def derived_event_id(self) -> str:
        """Deterministic id for an event sent without one: a retry of the same event gets the same id."""
        body = self.model_dump(mode="json", exclude={"event_id"})
        for key in ("recommendation_id", "variant"):  # absent 1.1 fields keep 1.0's ids
            if body[key] is None:
                del body[key]
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return str(uuid.uuid5(EVENT_ID_NAMESPACE, hashlib.sha256(canonical.encode()).hexdigest()))


# --- The batch twin of the contract (the ingestion hot path) ----------------------------------------
#
# Building ``EngagementEvent`` models costs about 3x what validating the same values into plain dicts
# does, and the contract's Python validators (ISO text check, country upper-casing and lookup,
# identifier surrogate scan, UTC conversion) run once per field per event. The twin below validates
# the same fields with the same constraints entirely in pydantic-core, into dicts. It is *at least as
# strict* as the contract: every input it accepts, the contract accepts with the same values (a test
# holds the two equal on generated and edge-case events); whatever it refuses is validated again by
# the contract itself, whose reasons are the only ones a client ever sees. Rules it leaves to its
# caller, because they are not field constraints: the attribution rule (``_attribution``), reading
# the timestamp's text as a datetime and its UTC conversion (may overflow), and lone surrogates
# (absent from bodies jiter read). The twin is also stricter than the contract where that bounds an
# event's size from its values alone (free texts are not stripped: a padded one is refused).


# The timestamp as the twin takes it: ISO-8601 text in the forms most clients send, with every
# field's range checked by the pattern (ASCII digits, hours 00-23, minutes and seconds 00-59,
# offsets within +-23:59, at most 6 fraction digits, no leap second). Within these forms Python's
# ``datetime.fromisoformat``, which the twin's caller applies, and the contract's parser give the
# same aware datetime; a calendar error (30 February) is refused by both, and the caller sends the
# event to the contract. Other forms the contract accepts (no seconds, "z", "+0200") take the
# contract's path. A test holds the two parsers equal on every form the pattern admits.
TWIN_TIMESTAMP_PATTERN: Final = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
TWIN_TIMESTAMP_MAX_LENGTH: Final = 32  # the pattern's longest text, stated so that size bounds can use it
_TwinTimestamp = Annotated[
    str, Strict(), StringConstraints(max_length=TWIN_TIMESTAMP_MAX_LENGTH, pattern=TWIN_TIMESTAMP_PATTERN)
]

# Free texts as the twin takes them: the contract's lengths, but nothing to strip (no whitespace at
# either end), so the value is the text as sent and its length bounds the event's size. A padded
# value takes the contract's path, which strips it.
_UNPADDED = r"^\S(?:[\s\S]*\S)?$"
_TwinShortText = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=SHORT_TEXT_MAX_LENGTH, pattern=_UNPADDED)
]
_TwinPlaceName = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=PLACE_NAME_MAX_LENGTH, pattern=_UNPADDED)
]


if TYPE_CHECKING:
    _UpperCountry = str
else:  # an upper-case ISO code, checked by pydantic-core's literal lookup
    _UpperCountry = Literal[tuple(sorted(_ISO_ALPHA2))]


@with_config(ConfigDict(extra="forbid"))
class CheckedLocation(TypedDict):
    country: _UpperCountry
    region: NotRequired[_TwinPlaceName | None]
    city: NotRequired[_TwinPlaceName | None]


@with_config(ConfigDict(extra="forbid"))
class CheckedMetadata(TypedDict):
    view_duration: NotRequired[Annotated[NonNegativeFloat | None, Field(ge=0, le=86_400)]]
    completion_rate: NotRequired[Annotated[NonNegativeFloat | None, Field(ge=0, le=1)]]
    interaction_count: NotRequired[Annotated[Count | None, Field(ge=0, le=1_000_000)]]


@with_config(ConfigDict(extra="forbid"))
class CheckedEvent(TypedDict):
    """An engagement event as the batch twin returns it: the contract's values, as a dict."""

    event_id: NotRequired[_NativeIdentifier | None]
    schema_version: NotRequired[Literal["1.0", "1.1"]]
    user_id: _NativeIdentifier
    content_id: _NativeIdentifier
    event_type: Literal[tuple(t.value for t in EventType)]  # type: ignore[valid-type]
    timestamp: _TwinTimestamp
    platform: _TwinShortText
    device_type: Literal[tuple(t.value for t in DeviceType)]  # type: ignore[valid-type]
    location: CheckedLocation
    session_id: _NativeIdentifier
    metadata: NotRequired[CheckedMetadata]
    recommendation_id: NotRequired[_NativeIdentifier | None]
    variant: NotRequired[Variant | None]


class _RefusedAsNone:
    """A batch item the twin refuses becomes ``None`` instead of failing the whole batch, so one
    pydantic-core call screens a request with bad events too (they take the contract's path)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.with_default_schema(
            handler.generate_schema(CheckedEvent), default=None, on_error="default"
        )


if TYPE_CHECKING:
    CheckedItem = CheckedEvent | None
else:
    CheckedItem = _RefusedAsNone


@with_config(ConfigDict(extra="forbid"))
class CheckedBatch(TypedDict):
    """A ``POST /events`` body as the twin reads it straight from its JSON bytes: each event its
    :class:`CheckedEvent`, or ``None`` where the twin refuses it."""

    events: list[CheckedItem]


def attribution_error(schema_version: str, recommendation_id: str | None, variant: str | None) -> str | None:
    """The contract's cross-field rule (``EngagementEvent._attribution``), for the twin's callers."""
    if variant is not None and recommendation_id is None:
        return "variant is only meaningful with the recommendation_id it was served with"
    if schema_version == "1.0" and recommendation_id is not None:
        return "recommendation_id and variant need schema_version 1.1"
    return None


class EventBatch(BaseModel):
    """The request body of ``POST /events``. Items are validated one by one, so they stay raw here."""

    model_config = ConfigDict(extra="forbid", strict=True)

    events: list[dict[str, Any]] = Field(min_length=1)


class LakeLocation(BaseModel):
    model_config = ConfigDict(frozen=True)

    country: str
    region: str | None
    city: str | None


class LakeMetadata(BaseModel):
    model_config = ConfigDict(frozen=True)

    view_duration: float | None
    completion_rate: float | None
    interaction_count: int | None


class LakeRecord(BaseModel):
    """An accepted, enriched event as written to the lake (Firehose record and Parquet row).

    ``timestamp`` becomes ``event_timestamp`` because ``timestamp`` is a reserved word in Athena.
    Timestamps travel as ``yyyy-MM-dd HH:mm:ss.ffffff`` (UTC), the form Firehose's Hive JSON SerDe
    parses with ``java.sql.Timestamp.valueOf`` into a Parquet timestamp, without loss.
    """

    model_config = ConfigDict(frozen=True)

    event_id: str
    schema_version: str
    user_id: str
    content_id: str
    event_type: str
    event_timestamp: datetime
    platform: str
    device_type: str
    location: LakeLocation
    session_id: str
    metadata: LakeMetadata
    event_id_source: Literal["client", "derived"]
    ingested_at: datetime
    request_id: str
    ingest_source: str
    recommendation_id: str | None = None
    variant: str | None = None

    @classmethod
    def from_event(
        cls, event: EngagementEvent, *, ingested_at: datetime, request_id: str, ingest_source: str
    ) -> LakeRecord:
        # The event is already validated: construct without validating a second time (hot path).
        loc, meta = event.location, event.metadata
        return cls.model_construct(
            event_id=event.event_id or event.derived_event_id(),
            event_id_source="client" if event.event_id else "derived",
            schema_version=event.schema_version,
            user_id=event.user_id,
            content_id=event.content_id,
            event_type=event.event_type.value,
            event_timestamp=event.timestamp,
            platform=event.platform,
            device_type=event.device_type.value,
            location=LakeLocation.model_construct(country=loc.country, region=loc.region, city=loc.city),
            session_id=event.session_id,
            metadata=LakeMetadata.model_construct(
                view_duration=None if meta.view_duration is None else float(meta.view_duration),
                completion_rate=None if meta.completion_rate is None else float(meta.completion_rate),
                interaction_count=meta.interaction_count,
            ),
            ingested_at=ingested_at.astimezone(UTC),
            request_id=request_id,
            ingest_source=ingest_source,
            recommendation_id=event.recommendation_id,
            variant=event.variant,
        )

    @field_serializer("event_timestamp", "ingested_at", when_used="json")
    def _serde_timestamp(self, value: datetime) -> str:
        return format_lake_timestamp(value)

    @cached_property
    def json_line(self) -> str:
        """The Firehose record: one JSON object per line, timestamps in the SerDe's format.

        Cached: the line is both measured (for PutRecordBatch's byte limit) and sent."""
        return self.model_dump_json() + "\n"

    def to_json_line(self) -> str:
        return self.json_line

    @classmethod
    def from_json_line(cls, line: str | bytes) -> LakeRecord:
        body = json.loads(line)
        body["event_timestamp"] = parse_lake_timestamp(body["event_timestamp"])
        body["ingested_at"] = parse_lake_timestamp(body["ingested_at"])
        return cls.model_validate(body)


def format_lake_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def parse_lake_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
