"""The Arrow join and file writers give what the row-by-row reference gives, byte for byte."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from datetime import UTC, datetime

import pyarrow as pa

from audience.activation.adapters.local.files import FileDestination, member_rows
from audience.activation.endpoints import (
    PROFILE_CHANNEL,
    Endpoint,
    EndpointTable,
    decode_mapping,
    encode_mapping,
    read_mapping,
    resolve,
)
from audience.activation.ports import SegmentExport
from audience.core.audience_files import export_files, table_to_csv, table_to_json, to_csv

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
HOSTILE = ["=cmd", "a,b", 'q"x', "a\rb", "a\nb", "-1", "\tx", "é✓", "\\back", "ctl\x01", "+a,\nb"]


def reference_decode(body: bytes) -> list[tuple[str, str, str, bool]]:
    """The csv-module reader this replaces."""
    with gzip.open(io.BytesIO(body), mode="rt", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        return [(r[0], r[1], r[2], r[3].lower() == "true") for r in reader if len(r) == 4]


def reference_resolve(
    segments: list[list[str]], mapping: list[tuple[str, str, str, bool]], channels: list[str] | None
) -> tuple[list[list[Endpoint]], list[int], list[int]]:
    """The row-by-row join this replaces: each place gets its user's endpoints in mapping order; a
    user without one is unresolved, unless the user has endpoints in those channels, all opted out."""
    by_user: dict[str, list[Endpoint]] = {}
    opted_out: set[str] = set()
    for user, channel, endpoint_id, opt_in in mapping:
        if channels is None or channel in channels:
            if opt_in:
                by_user.setdefault(user, []).append(Endpoint(user, channel, endpoint_id))
            else:
                opted_out.add(user)
    endpoints = [[e for u in users for e in by_user.get(u, [])] for users in segments]
    missing = [{u for u in users if u not in by_user} for users in segments]
    declined = [len(m & opted_out) for m in missing]
    unresolved = [len(m) - d for m, d in zip(missing, declined, strict=True)]
    return endpoints, unresolved, declined


def reference_rows(segment: SegmentExport) -> list[dict[str, object]]:
    by_user: dict[str, list[str]] = {}
    for e in segment.endpoints:
        by_user.setdefault(e.user_id, []).append(f"{e.channel}:{e.endpoint_id}")
    return [
        {"rank": rank, "user_id": u, "endpoint_ids": "|".join(by_user[u])}
        for rank, u in enumerate(segment.users, start=1)
        if u in by_user
    ]


def world(seed: int) -> tuple[list[list[str]], list[tuple[str, str, str, bool]]]:
    rng = random.Random(seed)
    people = [f"u-{i}" for i in range(300)] + HOSTILE
    mapping = []
    for user in rng.sample(people, 250):
        for channel in rng.sample(["EMAIL", "SMS", PROFILE_CHANNEL], rng.randint(1, 3)):
            mapping.append((user, channel, f"{channel[:2]}-{user}", rng.random() > 0.1))
    rng.shuffle(mapping)
    segments = [rng.sample(people, 120), [*rng.sample(people, 40), "u-1", "u-1"], []]
    return segments, mapping


def test_arrow_resolve_equals_the_row_by_row_join() -> None:
    for seed in range(5):
        # GIVEN segments (one with a repeated user, one empty) and a shuffled mapping with opt-outs
        segments, mapping = world(seed)
        for channels in (None, ["EMAIL"], ["SMS", PROFILE_CHANNEL]):
            # WHEN resolved through the gzip CSV and Arrow
            body = encode_mapping(mapping)
            result = resolve(segments, read_mapping(body), channels=channels)
            # THEN every segment's endpoints and unresolved counts are the reference's
            assert list(decode_mapping(body)) == reference_decode(body)
            endpoints, unresolved, declined = reference_resolve(segments, reference_decode(body), channels)
            assert [list(e) for e in result.endpoints] == endpoints
            assert result.unresolved_users == unresolved
            assert result.opted_out_users == declined
            assert all(isinstance(e, EndpointTable) for e in result.endpoints)


def test_mapping_reader_skips_short_rows_and_reads_opt_in_in_any_case() -> None:
    # GIVEN a mapping with a short row and "TRUE"
    body = gzip.compress(b"user_id,channel,endpoint_id,opt_in\nu1,EMAIL,e1,TRUE\nu2,EMAIL\nu3,SMS,s3,false\n")
    # WHEN read  THEN as the csv module did
    assert list(decode_mapping(body)) == [("u1", "EMAIL", "e1", True), ("u3", "SMS", "s3", False)]


def test_file_export_of_an_arrow_segment_is_byte_identical_to_the_row_export() -> None:
    for seed in range(3):
        # GIVEN a resolved segment with hostile ids and a repeated user
        segments, mapping = world(seed)
        result = resolve(segments, mapping)
        for users, endpoints in zip(segments, result.endpoints, strict=True):
            segment = SegmentExport(
                name="Action fans", query="q", users=users, endpoints=endpoints, created_at=NOW, job="j"
            )
            # WHEN exported from the Arrow table and from Python rows
            fast, fast_manifest = export_files(
                name="Action fans", definition={}, rows=member_rows(segment),
                columns=FileDestination.COLUMNS, source="personalize", created_at=NOW,
            )  # fmt: skip
            slow, slow_manifest = export_files(
                name="Action fans", definition={}, rows=reference_rows(segment),
                columns=FileDestination.COLUMNS, source="personalize", created_at=NOW,
            )  # fmt: skip
            # THEN the CSV, the JSON and the manifest (sizes, hashes) are the same bytes
            assert fast == slow
            assert fast_manifest == slow_manifest


def test_writers_match_csv_and_json_modules_on_hostile_cells_and_nulls() -> None:
    # GIVEN cells that need guarding, quoting or escaping, and nulls
    columns = ("rank", "user_id")
    values = [*HOSTILE, "", None, "plain"]
    rows = [{"rank": i, "user_id": v} for i, v in enumerate(values)]
    table = pa.table(
        {"rank": pa.array(range(len(values)), pa.int64()), "user_id": pa.array(values, pa.string())}
    )
    # THEN both writers give the standard modules' bytes
    assert table_to_csv(table, columns) == to_csv(columns, rows)
    expected = json.dumps([{c: r[c] for c in columns} for r in rows], ensure_ascii=False) + "\n"
    assert table_to_json(table, columns) == expected.encode()


def test_writers_match_on_sliced_chunked_and_signed_columns() -> None:
    # GIVEN a table sliced out of a larger one, in two chunks, with negative and null numbers
    values = [*HOSTILE, "", None, "plain"]
    numbers = [(-1) ** i * i if i % 4 else None for i in range(len(values))]
    whole = pa.table({"rank": pa.array(numbers, pa.int64()), "user_id": pa.array(values, pa.string())})
    table = pa.concat_tables([whole.slice(1, 3), whole.slice(5)])
    rows = [{"rank": numbers[i], "user_id": values[i]} for i in [1, 2, 3, *range(5, len(values))]]
    columns = ("rank", "user_id")
    # WHEN written column-wise  THEN the standard modules' bytes
    assert table_to_csv(table, columns) == to_csv(columns, rows)
    expected = json.dumps([{c: r[c] for c in columns} for r in rows], ensure_ascii=False) + "\n"
    assert table_to_json(table, columns) == expected.encode()
    # AND a non-negative number column is written as its digits
    positive = table.set_column(0, "rank", pa.array([r["rank"] and abs(r["rank"]) for r in rows], pa.int64()))
    assert table_to_csv(positive, columns) == to_csv(
        columns, [{**r, "rank": r["rank"] and abs(r["rank"])} for r in rows]
    )
