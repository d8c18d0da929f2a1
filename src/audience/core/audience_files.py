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
    slug = safe_name(name)
    csv_bytes = to_csv(columns, rows)
    json_bytes = (
        json.dumps([{c: row.get(c) for c in columns} for row in rows], ensure_ascii=False, default=str) + "\n"
    ).encode("utf-8")
    files = {"csv": f"{slug}.csv", "json": f"{slug}.json"}
    for fmt, body in (("csv", csv_bytes), ("json", json_bytes)):
        (out_dir / files[fmt]).write_bytes(body)
    manifest = AudienceManifest(
        name=name,
        definition=dict(definition),
        size=len(rows),
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
    (out_dir / f"{slug}.manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n")
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
