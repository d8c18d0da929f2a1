"""Athena's query result CSV -> the interactions CSV Amazon Personalize imports.

The training workflow exports interactions with a plain ``SELECT`` on Athena. Athena writes a
query's result as CSV with *every* field in double quotes, the header included, and Trino reports
column names in lower case whatever the query's aliases say (``"user_id","item_id",...``).
Personalize's bulk-import rules ask for the opposite: "The first row of your CSV file must contain
your column headers. Don't enclose headers in quotation marks", with names that map to the schema
(``USER_ID``, ``ITEM_ID``...). ``UNLOAD`` and CTAS write no header at all, so one small pass
rewrites the result: header unquoted and in the schema's spelling, values quoted only where CSV
needs it (never, for the contract's ids and numbers), rows checked for width. It streams, so the
file never has to fit in memory (docs/decisions.md, "Athena's CSV for Personalize").
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Final, TextIO

from schemas.personalize import PersonalizeInteraction, csv_header

INTERACTION_COLUMNS: Final = tuple(csv_header(PersonalizeInteraction))


class ExportFormatError(ValueError):
    """The export does not have the columns the Personalize schema needs (with the reason)."""


def personalize_header(found: Sequence[str], expected: Sequence[str] = INTERACTION_COLUMNS) -> list[str]:
    """The schema's spelling of the header Athena wrote, in the file's column order.

    Names match case-insensitively (Athena lower-cases them); a missing, unknown or repeated column
    is an error, since Personalize would reject the import hours later.
    """
    by_lower = {name.lower(): name for name in expected}
    header = [by_lower.get(name.strip().lower(), "") for name in found]
    unknown = [f for f, h in zip(found, header, strict=True) if not h]
    missing = [name for name in expected if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise ExportFormatError(
            f"export header {list(found)} does not match the schema's {list(expected)}"
            f" (unknown: {unknown}, missing: {missing})"
        )
    return header


def rewrite_for_personalize(
    lines: Iterable[str], out: TextIO, expected: Sequence[str] = INTERACTION_COLUMNS
) -> int:
    """Copy Athena's CSV ``lines`` to ``out`` as Personalize wants it; returns the number of rows."""
    reader = csv.reader(lines)
    try:
        found = next(reader)
    except StopIteration:
        raise ExportFormatError("the export is empty: no header row") from None
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(personalize_header(found, expected))
    rows = 0
    for number, row in enumerate(reader, start=2):
        if len(row) != len(found):
            raise ExportFormatError(f"line {number} has {len(row)} fields, the header {len(found)}")
        writer.writerow(row)
        rows += 1
    return rows
