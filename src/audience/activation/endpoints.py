"""Users to campaign endpoints, in bulk: one pass over a mapping table for every segment of a job.

The reference sample looks every user up with one Pinpoint call (GetUserEndpoints), so a segment of
1,000,000 users costs 1,000,000 calls. Here the user -> endpoint mapping is a table in the lake
(``activation/endpoints/endpoints.csv.gz``: ``user_id, channel, endpoint_id, opt_in``), refreshed
in bulk (locally from ``data/users.csv``; in AWS from a Pinpoint endpoint export job or the
Customer Profiles domain's export, one call each), and joined with *all* the job's segments in a
single streaming read: one GetObject per job, whatever the segment sizes.

Gzip CSV rather than Parquet, because the post-processing Lambda is kept free of pyarrow (the
package stays small and cold starts short); the local path reads the same file.

Channels: ``EMAIL``, ``SMS``, ``PUSH``... are Pinpoint endpoint ids; ``CUSTOMER_PROFILE`` is the
key of the user's profile in the Customer Profiles domain. A destination takes the channels it
understands. Opted-out rows are never activated.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from audience.core.objectstore.ports import ObjectStore
from audience.core.settings import ENDPOINTS_KEY as ENDPOINTS_KEY  # the default of AUDIENCE_ENDPOINTS_KEY

MAPPING_COLUMNS: Final = ("user_id", "channel", "endpoint_id", "opt_in")
PROFILE_CHANNEL: Final = "CUSTOMER_PROFILE"


class Endpoint(NamedTuple):
    """One campaign endpoint of a user (a NamedTuple: a million of them are built per segment)."""

    user_id: str
    channel: str
    endpoint_id: str


def encode_mapping(rows: Iterable[tuple[str, str, str, bool]]) -> bytes:
    """The mapping table's bytes (gzip CSV with a header)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(MAPPING_COLUMNS)
    for user_id, channel, endpoint_id, opt_in in rows:
        writer.writerow([user_id, channel, endpoint_id, "true" if opt_in else "false"])
    return gzip.compress(text.getvalue().encode("utf-8"), compresslevel=6, mtime=0)


def decode_mapping(body: bytes) -> Iterator[tuple[str, str, str, bool]]:
    with gzip.open(io.BytesIO(body), mode="rt", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or tuple(header) != MAPPING_COLUMNS:
            raise ValueError(f"endpoint mapping header must be {','.join(MAPPING_COLUMNS)}, got {header}")
        for row in reader:
            if len(row) == 4:
                yield row[0], row[1], row[2], row[3].lower() == "true"


@dataclass
class Resolution:
    """Endpoints of each segment, in the segment's rank order, and what could not be resolved."""

    endpoints: list[list[Endpoint]]
    unresolved_users: list[int]
    """Per segment: users with no endpoint at all in the mapping."""
    api_calls: int
    opted_out_users: list[int] = field(default_factory=list)
    """Per segment: users with endpoints, all of them opted out of marketing (not sent, by choice)."""


def resolve(
    segments: Sequence[Sequence[str]],
    mapping: Iterable[tuple[str, str, str, bool]],
    *,
    channels: Sequence[str] | None = None,
) -> Resolution:
    """Join every segment's users with the mapping in one pass (hash join on the users' side).

    Memory is proportional to the segments' users, not to the mapping, which is streamed.
    """
    wanted = set(channels) if channels else None
    # Every (segment, rank) gets a position; a user maps to its position (or positions, when the
    # user is in several segments). Endpoints are collected per position, so the result comes out
    # in rank order without sorting.
    where: dict[str, int | list[int]] = {}
    position = 0
    for users in segments:
        for user in users:
            previous = where.get(user)
            if previous is None:
                where[user] = position
            elif isinstance(previous, int):
                where[user] = [previous, position]
            else:
                previous.append(position)
            position += 1
    slots: list[list[Endpoint] | None] = [None] * position
    opted_out: set[str] = set()
    for user_id, channel, endpoint_id, opt_in in mapping:
        place = where.get(user_id)
        if place is None or (wanted is not None and channel not in wanted):
            continue
        if not opt_in:
            opted_out.add(user_id)
            continue
        endpoint = Endpoint(user_id, channel, endpoint_id)
        for q in (place,) if isinstance(place, int) else place:
            slot = slots[q]
            if slot is None:
                slots[q] = [endpoint]
            else:
                slot.append(endpoint)
    endpoints: list[list[Endpoint]] = []
    unresolved: list[int] = []
    declined: list[int] = []
    start = 0
    for users in segments:
        mine = slots[start : start + len(users)]
        endpoints.append([e for slot in mine if slot for e in slot])
        resolved = {user for user, slot in zip(users, mine, strict=True) if slot}
        missing = set(users) - resolved
        out = len(missing & opted_out)
        declined.append(out)
        unresolved.append(len(missing) - out)
        start += len(users)
    return Resolution(endpoints=endpoints, unresolved_users=unresolved, api_calls=0, opted_out_users=declined)


def resolve_from_store(
    store: ObjectStore,
    segments: Sequence[Sequence[str]],
    *,
    key: str = ENDPOINTS_KEY,
    channels: Sequence[str] | None = None,
) -> Resolution:
    """:func:`resolve` against the mapping table in the lake: exactly one object read."""
    result = resolve(segments, decode_mapping(store.get_object(key)), channels=channels)
    result.api_calls = 1
    return result
