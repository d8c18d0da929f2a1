"""Post-processing: every line of a multi-line job output, unique names, bulk endpoint resolution,
the Pinpoint CSV, and the file destination's manifest and formula guard."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from builders import FakeObjectStore

from audience.activation.adapters.local.files import FileDestination
from audience.activation.endpoints import (
    ENDPOINTS_KEY,
    PROFILE_CHANNEL,
    decode_mapping,
    encode_mapping,
    resolve,
)
from audience.activation.postprocess import postprocess
from audience.activation.segments import parse_output, segment_name
from audience.core.audience_files import pinpoint_csv
from audience.core.objectstore.adapters.local import FolderObjectStore

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
LINES = [
    json.dumps(
        {"itemAttributes": 'ITEMS.genres = "Action"', "output": {"recommendedUsers": ["u1", "u2", "=cmd"]}}
    ),
    json.dumps({"input": {"itemAttributes": 'ITEMS.genres = "Action"'}, "output": {"usersList": ["u3"]}}),
    json.dumps({"itemAttributes": 'ITEMS.genres = "Horror"', "output": None, "error": "no items match"}),
    "not json",
    json.dumps({"itemAttributes": 'ITEMS.genres = "Kids"', "output": {}}),
]


def test_activation_parse_output_reads_both_key_variants_and_surfaces_errors() -> None:
    # GIVEN five lines: documented keys, sample keys, an error, garbage, no users
    # WHEN parsed
    parsed = parse_output(["", *LINES])
    # THEN every line is kept, in order, with users or a reason
    assert [p.users for p in parsed[:2]] == [["u1", "u2", "=cmd"], ["u3"]]
    assert parsed[1].query == 'ITEMS.genres = "Action"'
    assert [p.error for p in parsed[2:]] == [
        "no items match",
        "line is not JSON: Expecting value",
        "no output.recommendedUsers or output.usersList",
    ]


def test_activation_segment_names_are_readable_unique_and_fit_limits() -> None:
    # GIVEN the same query twice and a very long one
    taken: set[str] = set()
    day = date(2026, 11, 22)
    # WHEN named  THEN readable, de-duplicated, at most 64 characters of [a-z0-9-]
    assert segment_name('ITEMS.genres = "Action"', day, taken) == "genres-action-2026-11-22"
    assert segment_name('ITEMS.genres = "Action"', day, taken) == "genres-action-2026-11-22-2"
    long = segment_name(" AND ".join(f'ITEMS.genres = "Genre{i}"' for i in range(30)), day, taken)
    assert len(long) <= 64 and long.endswith("2026-11-22")


def test_activation_resolve_joins_all_segments_in_one_pass_keeping_rank_and_opt_out() -> None:
    # GIVEN two segments sharing a user, and a mapping with an opted-out user and two channels
    mapping = [
        ("u2", "EMAIL", "e2", True),
        ("u1", "EMAIL", "e1", True),
        ("u1", PROFILE_CHANNEL, "p1", True),
        ("u3", "EMAIL", "e3", False),
        ("u9", "EMAIL", "e9", True),
    ]
    consumed = []

    def stream():  # a generator: read once, never indexed
        for row in mapping:
            consumed.append(row)
            yield row

    # WHEN resolved for e-mail only
    result = resolve([["u1", "u2", "u3"], ["u2", "u4"]], stream(), channels=["EMAIL"])
    # THEN rank order is kept, opted-out users are counted as opted out and unknown ones as
    # unresolved (no endpoint at all), and the mapping is read once
    assert [[e.endpoint_id for e in s] for s in result.endpoints] == [["e1", "e2"], ["e2"]]
    assert result.opted_out_users == [1, 0]
    assert result.unresolved_users == [0, 1]
    assert consumed == mapping
    # AND the gzip CSV mapping round-trips
    assert list(decode_mapping(encode_mapping(mapping))) == mapping


def test_activation_pinpoint_csv_has_the_id_header_unique_ids_and_guarded_cells() -> None:
    # GIVEN endpoint ids with a repeat and a hostile one  WHEN written  THEN Pinpoint's import format
    assert pinpoint_csv(["e1", "e2", "e1", "=HYPERLINK(1)"]).decode() == "Id\ne1\ne2\n'=HYPERLINK(1)\n"


def test_activation_postprocess_writes_files_with_manifest_and_formula_guard(tmp_path: Path) -> None:
    # GIVEN a lake with the endpoint mapping and a local file destination
    lake = FakeObjectStore()
    rows = [(u, "EMAIL", f"ep-{u}", True) for u in ("u1", "u2", "=cmd", "u3")]
    lake.put_object(ENDPOINTS_KEY, encode_mapping(rows))
    destination = FileDestination(FolderObjectStore(tmp_path / "activation"), "segments")
    # WHEN the multi-line output is post-processed
    report = postprocess(LINES, job="job-1", store=lake, destination=destination, model_version="v1", now=NOW)
    # THEN two segments are written (the same query twice gets a second name), three lines fail
    names = [s.name for s in report.segments if s.receipt]
    assert names == ["genres-action-2026-11-22", "genres-action-2026-11-22-2"]
    assert len(report.failed) == 3 and report.resolution_api_calls == 1
    folder = tmp_path / "activation" / "segments" / names[0]
    manifest = json.loads((folder / f"{names[0]}.manifest.json").read_text())
    assert manifest["size"] == 3 and manifest["model_version"] == "v1" and manifest["source"] == "personalize"
    assert manifest["definition"]["query"] == 'ITEMS.genres = "Action"'
    assert manifest["created_at"].startswith("2026-11-22T09:30")
    # AND the hostile user id is guarded in the CSV but exact in the JSON
    csv_text = (folder / f"{names[0]}.csv").read_text().splitlines()
    assert csv_text[0] == "rank,user_id,endpoint_ids" and csv_text[3] == "3,'=cmd,EMAIL:ep-=cmd"
    assert json.loads((folder / f"{names[0]}.json").read_text())[2]["user_id"] == "=cmd"
