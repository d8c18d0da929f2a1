"""The file export: formula-injection guard, manifest, and the data files it describes."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audience.core.audience_files import AudienceManifest, guard_cell, safe_name, write_export


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("u-000123", "u-000123"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_guard_cell_prefixes_only_formula_triggers(value: object, expected: str) -> None:
    # GIVEN a cell value  WHEN it is guarded  THEN only formula starters change
    assert guard_cell(value) == expected


def test_safe_name_never_escapes_the_folder() -> None:
    # GIVEN hostile names  WHEN slugged  THEN no separators or dot-dot remain
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("Action fans / top 1%") == "Action-fans-top-1"
    assert safe_name("///") == "audience"


def test_write_export_writes_guarded_csv_json_and_a_manifest_that_matches(tmp_path: Path) -> None:
    # GIVEN an audience with one hostile id
    rows = [{"user_id": "u-000001"}, {"user_id": "=cmd|' /C calc'!A0"}, {"user_id": "u-000003"}]
    at = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    # WHEN it is exported
    manifest = write_export(
        tmp_path,
        name="Action fans",
        definition={"segment_id": "seg-1"},
        rows=rows,
        source="explorer",
        model_version="kmeans-v1",
        created_at=at,
    )
    # THEN the CSV is guarded, the JSON keeps the raw values, and the manifest describes both
    with (tmp_path / "Action-fans.csv").open(newline="") as f:
        cells = list(csv.reader(f))
    assert cells == [["user_id"], ["u-000001"], ["'=cmd|' /C calc'!A0"], ["u-000003"]]
    assert json.loads((tmp_path / "Action-fans.json").read_text())[1]["user_id"] == "=cmd|' /C calc'!A0"
    loaded = AudienceManifest.model_validate_json((tmp_path / "Action-fans.manifest.json").read_text())
    assert loaded == manifest
    assert (loaded.size, loaded.created_at, loaded.model_version) == (3, at, "kmeans-v1")
    for name, digest in loaded.sha256.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
