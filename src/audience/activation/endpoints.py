"""Users to campaign endpoints, in bulk: one pass over a mapping table for every segment of a job.

The reference sample looks every user up with one Pinpoint call (GetUserEndpoints), so a segment of
1,000,000 users costs 1,000,000 calls. Here the user -> endpoint mapping is a table in the lake
(``activation/endpoints/endpoints.csv.gz``: ``user_id, channel, endpoint_id, opt_in``), refreshed
in bulk (locally from ``data/users.csv``; in AWS from a Pinpoint endpoint export job or the
Customer Profiles domain's export, one call each), and joined with *all* the job's segments in a
single streaming read: one GetObject per job, whatever the segment sizes.

The table stays gzip CSV (what the export jobs produce); it is parsed and joined in Arrow (C++),
so the post-processing function ships pyarrow (the ``activation`` extra, slimmed as the web
function's is); the local path reads the same file.

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
from typing import Final, NamedTuple, overload

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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
    """The mapping's rows as tuples (for tools and tests; :func:`read_mapping` is the bulk path)."""
    table = read_mapping(body)
    yield from zip(*(table.column(c).to_pylist() for c in MAPPING_COLUMNS), strict=True)


def read_mapping(body: bytes) -> pa.Table:
    """The mapping table as Arrow columns, in file order: the gzip CSV is decoded and parsed in C++.

    Rows without exactly four fields are skipped, as before; ``opt_in`` is true for ``true`` in any
    case."""
    try:
        table = pacsv.read_csv(
            pa.input_stream(pa.py_buffer(body), compression="gzip"),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda _: "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(MAPPING_COLUMNS, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" not in str(exc):
            raise ValueError(f"endpoint mapping is not a readable CSV: {exc}") from exc
        header = None
    else:
        header = table.column_names
    if header is None or tuple(header) != MAPPING_COLUMNS:
        raise ValueError(f"endpoint mapping header must be {','.join(MAPPING_COLUMNS)}, got {header}")
    # ascii_lower: no other character lower-cases into "true", and utf8_lower's first call builds
    # Unicode tables (about a second of CPU in a fresh process).
    return table.set_column(3, "opt_in", pc.equal(pc.ascii_lower(table.column("opt_in")), "true"))


def _mapping_table(mapping: Iterable[tuple[str, str, str, bool]] | pa.Table) -> pa.Table:
    if isinstance(mapping, pa.Table):
        return mapping
    rows = list(mapping)  # read once (a generator is fine)
    types = (pa.string(), pa.string(), pa.string(), pa.bool_())
    return pa.table(
        [pa.array([row[i] for row in rows], kind) for i, kind in enumerate(types)],
        names=list(MAPPING_COLUMNS),
    )


def row_numbers(n: int) -> pa.Array:
    """0, 1, ..., n-1 as an Arrow int64 array, without a Python loop."""
    if n == 0:
        return pa.array([], pa.int64())
    return pc.subtract(pc.cumulative_sum(pc.fill_null(pa.nulls(n, pa.int64()), 1)), 1)


class EndpointTable(Sequence[Endpoint]):
    """One segment's endpoints in rank order, held as Arrow columns.

    A :class:`Sequence` of :class:`Endpoint` for the destinations that send them one by one
    (Pinpoint, Customer Profiles), and the table itself (``.table``: ``rank``, ``user_id``,
    ``channel``, ``endpoint_id``) for the ones that work in bulk (the file export)."""

    def __init__(self, table: pa.Table, *, unique_users: bool = False) -> None:
        self.table = table
        self.unique_users = unique_users  # the segment names each user once: one rank per user

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @overload
    def __getitem__(self, index: int) -> Endpoint: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Endpoint]: ...
    def __getitem__(self, index: int | slice) -> Endpoint | Sequence[Endpoint]:
        if isinstance(index, slice):
            return list(self)[index]
        row = self.table.slice(index % len(self) if index < 0 else index, 1)
        if index >= len(self) or row.num_rows == 0:
            raise IndexError(index)
        return Endpoint(*(row.column(c)[0].as_py() for c in Endpoint._fields))

    def __iter__(self) -> Iterator[Endpoint]:
        for batch in self.table.select(list(Endpoint._fields)).to_batches(max_chunksize=65_536):
            yield from map(Endpoint._make, zip(*(c.to_pylist() for c in batch.columns), strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EndpointTable({len(self)} endpoints)"


@dataclass
class Resolution:
    """Endpoints of each segment, in the segment's rank order, and what could not be resolved."""

    endpoints: list[EndpointTable]
    unresolved_users: list[int]
    """Per segment: users with no endpoint at all in the mapping."""
    api_calls: int
    opted_out_users: list[int] = field(default_factory=list)
    """Per segment: users with endpoints, all of them opted out of marketing (not sent, by choice)."""


def resolve(
    segments: Sequence[Sequence[str]],
    mapping: Iterable[tuple[str, str, str, bool]] | pa.Table,
    *,
    channels: Sequence[str] | None = None,
) -> Resolution:
    """Every segment's users joined with the mapping, in Arrow (C++), never row by row in Python.

    The mapping is read once and filtered once (opted in, wanted channels). Per segment, a hash
    probe (``index_in``) gives each mapping row its user's place in the segment, and a stable sort
    by place gives rank order with each user's endpoints in the mapping's order. A segment that
    names a user twice takes a hash join instead, so the user gets its endpoints at both places.
    Memory is the segments' users plus the filtered mapping's columns (see bench/README.md)."""
    table = _mapping_table(mapping)
    if channels:
        table = table.filter(
            pc.is_in(table.column("channel"), value_set=pa.array(list(channels), pa.string()))
        )
    opt_in = table.column("opt_in")
    # Users with an endpoint in the wanted channels that is opted out: when none of theirs is opted in,
    # they are not sent by choice (``opted_out_users``), not unresolved.
    opted_out = pc.unique(table.filter(pc.invert(opt_in)).column("user_id"))
    table = table.filter(opt_in).select(list(Endpoint._fields))
    endpoints: list[EndpointTable] = []
    unresolved: list[int] = []
    declined: list[int] = []
    for segment in segments:
        users = pa.array(segment, pa.string())
        members = pc.unique(users)  # one hash pass: the distinct users, and whether any repeats
        unique_users = len(members) == len(users)
        if unique_users:
            place = pc.index_in(table.column("user_id"), value_set=users)
            found = table.append_column("place", place).filter(pc.is_valid(place))
            found = found.take(pc.sort_indices(found, [("place", "ascending")]))  # stable: mapping order kept
            # A member is missing when no endpoint took its place: a probe of integers, not strings.
            hit = pc.is_in(row_numbers(len(users)), value_set=found.column("place").cast(pa.int64()))
            missing = users.filter(pc.invert(hit))
        else:
            with_row = table.append_column("row", row_numbers(table.num_rows))
            places = pa.table({"place": row_numbers(len(users)), "user_id": users})
            found = places.join(with_row, keys="user_id", join_type="inner", use_threads=True)
            found = found.sort_by([("place", "ascending"), ("row", "ascending")])
            missing = members.filter(
                pc.invert(pc.is_in(members, value_set=pc.unique(found.column("user_id"))))
            )
        endpoints.append(
            EndpointTable(
                pa.table(
                    {
                        "rank": pc.add(pc.cast(found.column("place"), pa.int64()), 1),
                        "user_id": found.column("user_id"),
                        "channel": found.column("channel"),
                        "endpoint_id": found.column("endpoint_id"),
                    }
                ),
                unique_users=unique_users,
            )
        )
        out = int(pc.sum(pc.is_in(missing, value_set=opted_out)).as_py() or 0)
        declined.append(out)
        unresolved.append(len(missing) - out)
    return Resolution(endpoints=endpoints, unresolved_users=unresolved, api_calls=0, opted_out_users=declined)


def resolve_from_store(
    store: ObjectStore,
    segments: Sequence[Sequence[str]],
    *,
    key: str = ENDPOINTS_KEY,
    channels: Sequence[str] | None = None,
) -> Resolution:
    """:func:`resolve` against the mapping table in the lake: exactly one object read."""
    result = resolve(segments, read_mapping(store.get_object(key)), channels=channels)
    result.api_calls = 1
    return result
