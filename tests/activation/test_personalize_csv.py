"""Athena's interactions export rewritten into the CSV Personalize imports (defect: quoted header)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from audience.activation.personalize_csv import (
    INTERACTION_COLUMNS,
    ExportFormatError,
    personalize_header,
    rewrite_for_personalize,
)

ATHENA_RESULT = Path(__file__).parents[1] / "fixtures" / "athena_interactions_result.csv"


def test_athena_result_fixture_is_what_personalize_refuses() -> None:
    # GIVEN the export as Athena writes it
    first = ATHENA_RESULT.read_text().splitlines()[0]
    # WHEN its header line is read
    # THEN it is quoted and lower-cased: what Personalize's import rules exclude
    assert first.startswith('"user_id"')
    assert first != ",".join(INTERACTION_COLUMNS)


def test_rewrite_gives_an_unquoted_schema_header_and_every_row_unchanged() -> None:
    # GIVEN Athena's result file
    lines = ATHENA_RESULT.read_text().splitlines(keepends=True)
    out = io.StringIO()
    # WHEN it is rewritten
    rows = rewrite_for_personalize(iter(lines), out)
    # THEN the header is the schema's names, unquoted, and the values are the same, unquoted
    text = out.getvalue()
    assert text.splitlines()[0] == "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP"
    assert '"' not in text
    assert rows == len(lines) - 1
    assert list(csv.reader(io.StringIO(text)))[1:] == list(csv.reader(iter(lines)))[1:]
    assert text.splitlines()[2] == "u-000123,c-0042,like,,1764460861"  # NULL stays empty


def test_header_columns_keep_the_files_order_and_take_the_schema_spelling() -> None:
    # GIVEN a header in another order and case
    # WHEN it is mapped
    header = personalize_header(["Timestamp", "item_id", "USER_ID", "event_type", "event_value"])
    # THEN each column keeps its place with the schema's spelling
    assert header == ["TIMESTAMP", "ITEM_ID", "USER_ID", "EVENT_TYPE", "EVENT_VALUE"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty"),
        ('"user_id","item_id"\n"u","c"\n', "missing"),
        ('"user_id","item_id","event_type","event_value","timestamp","extra"\n', "unknown"),
        (
            '"user_id","item_id","event_type","event_value","timestamp"\n"u","c","view"\n',
            "line 2 has 3 fields",
        ),
    ],
)
def test_rewrite_refuses_an_export_that_does_not_fit_the_schema(content: str, reason: str) -> None:
    # GIVEN an export with missing, unknown or short columns
    # WHEN it is rewritten
    # THEN the error says why, before Personalize would fail the import
    with pytest.raises(ExportFormatError, match=reason):
        rewrite_for_personalize(iter(content.splitlines(keepends=True)), io.StringIO())
