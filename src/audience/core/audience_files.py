"""The file formats of an audience: the plain export (CSV and JSON of its members, with a manifest)
and the Pinpoint segment import CSV. Shared core: the Explorer writes exports, activation's local and
AWS destinations write both.

CSV files are opened by people in spreadsheet programs, which run a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula (CSV injection, OWASP). Every text cell
written here goes through :func:`guard_cell`, which prefixes such a cell with a single quote, as
OWASP recommends; ids from our own contract never start that way, so guarded output only differs
for hostile or accidental input.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def guard_cell(value: object) -> str:
    """The cell as text a spreadsheet shows as text: a leading formula character gets a ``'`` prefix."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def safe_name(name: str) -> str:
    """A file-system-safe, readable slug of ``name`` (never empty, never a path)."""
    slug = _SAFE_NAME.sub("-", name).strip("-.")[:120]
    return slug or "audience"


class AudienceManifest(BaseModel):
    """What an exported audience is, so the receiving tool (or a person) can trust and trace it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Readable, unique name of the audience.")
    definition: dict[str, Any] = Field(
        description="How the audience was built (segment id and method, lookalike seed, query, ...)."
    )
    size: int = Field(ge=0, description="Number of members (rows) in the export.")
    created_at: datetime
    model_version: str | None = Field(default=None, description="Version of the model that chose them.")
    source: str = Field(description="Which part of the platform produced it (explorer, personalize, ...).")
    columns: list[str]
    files: dict[str, str] = Field(default_factory=dict, description="Format -> file name.")
    sha256: dict[str, str] = Field(default_factory=dict, description="File name -> SHA-256 of its bytes.")


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> bytes:
    """CSV bytes with a header; every cell guarded against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([guard_cell(c) for c in columns])
    for row in rows:
        writer.writerow([guard_cell(row.get(c)) for c in columns])
    return buffer.getvalue().encode("utf-8")


# Cells the vectorised writers leave to Python's csv and json modules (rare: ids do not hold them).
_CSV_SPECIAL = r'[,"\r\n]'
_JSON_SPECIAL = r'[\x00-\x1f"\\]'


def _one_csv_cell(text: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[:-2]  # drop the "," and "\n" of the second, empty cell


def _patch(plain: pa.Array, special: pa.Array, texts: pa.Array, encode: Any) -> pa.Array:
    """``plain`` where ``special`` is false; elsewhere ``encode(text)`` computed in Python."""
    if not pc.any(special).as_py():
        return plain
    where = pc.indices_nonzero(special).to_pylist()
    values = plain.to_pylist()
    for i, text in zip(where, pc.take(texts, pa.array(where, pa.int64())).to_pylist(), strict=True):
        values[i] = encode(text)
    return pa.array(values, pa.string())


def _texts(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return pc.fill_null(pc.cast(column, pa.string()), "")


def csv_cells(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`guard_cell` then ``csv.writer``'s quoting, for a whole column at once (same text)."""
    if pa.types.is_integer(column.type) and (pc.min(column).as_py() or 0) >= 0:
        return _texts(column)  # digits only (nulls are empty cells): nothing to guard or to quote
    texts = _texts(column)
    guarded = pc.if_else(
        pc.match_substring_regex(texts, r"^[=+\-@\t\r]"),
        pc.binary_join_element_wise("'", texts, ""),
        texts,
    )
    return _patch(guarded, pc.match_substring_regex(guarded, _CSV_SPECIAL), guarded, _one_csv_cell)


def json_values(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value as ``json.dumps(value, ensure_ascii=False)`` writes it, for a whole column."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_integer(column.type):
        return pc.fill_null(pc.cast(column, pa.string()), "null")
    texts = pc.fill_null(column, "")
    quoted = pc.if_else(pc.is_null(column), "null", pc.binary_join_element_wise('"', texts, '"', ""))
    special = pc.fill_null(pc.match_substring_regex(column, _JSON_SPECIAL), False)
    return _patch(quoted, special, texts, lambda t: json.dumps(t, ensure_ascii=False))


def _concatenated(rows: pa.Array | pa.ChunkedArray) -> bytes:
    """The strings of ``rows`` end to end (no nulls): a string array keeps its values end to end in
    one buffer, so this is one slice of it between the first and the last offset (one copy)."""
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    if len(rows) == 0:
        return b""
    if rows.null_count:
        raise ValueError("cannot concatenate null strings")
    _, offsets, data = rows.buffers()
    large = pa.types.is_large_string(rows.type) or pa.types.is_large_binary(rows.type)
    bounds = memoryview(offsets).cast("B").cast("q" if large else "i")
    first, last = bounds[rows.offset], bounds[rows.offset + len(rows)]
    return data[first:last].to_pybytes() if data is not None else b""


def table_to_csv(table: pa.Table, columns: Sequence[str]) -> bytes:
    """The bytes :func:`to_csv` writes for the same rows, built column-wise in Arrow."""
    header = ",".join(_one_csv_cell(guard_cell(c)) for c in columns) + "\n"
    if table.num_rows == 0:
        return header.encode("utf-8")
    cells = [csv_cells(table.column(c)) for c in columns]
    lines = pc.binary_join_element_wise(*cells, ",") if len(cells) > 1 else cells[0]
    return header.encode("utf-8") + _concatenated(pc.binary_join_element_wise(lines, "\n", ""))


def table_to_json(table: pa.Table, columns: Sequence[str]) -> bytes:
    """The bytes of ``json.dumps([{column: value, ...}, ...], ensure_ascii=False) + "\\n"``."""
    if table.num_rows == 0:
        return b"[]\n"
    parts: list[pa.Array | str] = []
    for i, c in enumerate(columns):
        parts.append(("{" if i == 0 else ", ") + json.dumps(c, ensure_ascii=False) + ": ")
        parts.append(json_values(table.column(c)))
    parts.append("}, ")
    objects = pc.binary_join_element_wise(*parts, "")
    return b"[" + _concatenated(objects)[:-2] + b"]\n"


def export_files(
    *,
    name: str,
    definition: Mapping[str, Any],
    rows: Sequence[Mapping[str, object]] | pa.Table,
    columns: Sequence[str] = ("user_id",),
    source: str,
    model_version: str | None = None,
    created_at: datetime | None = None,
) -> tuple[dict[str, bytes], AudienceManifest]:
    """The export's files (CSV, JSON, then the manifest, in writing order) and its manifest.

    ``rows`` may be an Arrow table: the files are then built column-wise, byte for byte the same."""
    slug = safe_name(name)
    if isinstance(rows, pa.Table):
        csv_bytes, json_bytes, size = table_to_csv(rows, columns), table_to_json(rows, columns), rows.num_rows
    else:
        csv_bytes = to_csv(columns, rows)
        json_bytes = (
            json.dumps([{c: row.get(c) for c in columns} for row in rows], ensure_ascii=False, default=str)
            + "\n"
        ).encode("utf-8")
        size = len(rows)
    files = {"csv": f"{slug}.csv", "json": f"{slug}.json"}
    manifest = AudienceManifest(
        name=name,
        definition=dict(definition),
        size=size,
        created_at=created_at or datetime.now(UTC),
        model_version=model_version,
        source=source,
        columns=list(columns),
        files=files,
        sha256={
            files["csv"]: hashlib.sha256(csv_bytes).hexdigest(),
            files["json"]: hashlib.sha256(json_bytes).hexdigest(),
        },
    )
    out = {
        files["csv"]: csv_bytes,
        files["json"]: json_bytes,
        f"{slug}.manifest.json": (manifest.model_dump_json(indent=2) + "\n").encode(),
    }
    return out, manifest


def write_export(
    out_dir: Path,
    *,
    name: str,
    definition: Mapping[str, Any],
    rows: Sequence[Mapping[str, object]],
    columns: Sequence[str] = ("user_id",),
    source: str,
    model_version: str | None = None,
    created_at: datetime | None = None,
) -> AudienceManifest:
    """Write ``<slug>.csv``, ``<slug>.json`` and ``<slug>.manifest.json`` under ``out_dir``.

    The manifest is written last, so a reader that sees it can trust both data files are complete.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files, manifest = export_files(
        name=name,
        definition=definition,
        rows=rows,
        columns=columns,
        source=source,
        model_version=model_version,
        created_at=created_at,
    )
    for file_name, body in files.items():  # the manifest last
        (out_dir / file_name).write_bytes(body)
    return manifest


PINPOINT_HEADER: Final = "Id"


def pinpoint_csv(endpoint_ids: Iterable[str]) -> bytes:
    """A Pinpoint segment import file: one column, header ``Id``, one endpoint id per row."""
    seen: set[str] = set()
    lines = [PINPOINT_HEADER]
    for endpoint_id in endpoint_ids:
        if endpoint_id not in seen:
            seen.add(endpoint_id)
            lines.append(guard_cell(endpoint_id))
    return ("\n".join(lines) + "\n").encode("utf-8")
