"""The local lake's layout and Parquet schema: the Glue table's columns as Arrow types, and the
arrival-date partition of a record (as Firehose's prefix)."""

from __future__ import annotations

import re

import pyarrow as pa

from audience.ingest.ports import LakeRow
from schemas.derive import glue_columns

EVENTS_PREFIX = "engagement-events"


def partition_of(record: LakeRow) -> str:
    at = record.ingested_at
    return f"year={at:%Y}/month={at:%m}/day={at:%d}"


_STRUCT = re.compile(r"^struct<(.*)>$")
_ARRAY = re.compile(r"^array<(.*)>$")


def arrow_type(glue_type: str) -> pa.DataType:
    """The Parquet type for a Glue column type, so the local lake has the Glue table's schema."""
    simple = {
        "string": pa.string(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    if glue_type in simple:
        return simple[glue_type]
    array = _ARRAY.match(glue_type)
    if array:
        return pa.list_(arrow_type(array.group(1)))
    match = _STRUCT.match(glue_type)
    if not match:
        raise ValueError(f"unsupported Glue type {glue_type!r}")
    fields, depth, current = [], 0, ""
    for char in match.group(1) + ",":
        if char == "," and depth == 0:
            name, _, inner = current.partition(":")
            fields.append(pa.field(name, arrow_type(inner)))
            current = ""
            continue
        depth += char == "<"
        depth -= char == ">"
        current += char
    return pa.struct(fields)


def lake_schema(columns: list[dict[str, str]] | None = None) -> pa.Schema:
    """The Parquet schema of a lake table from its Glue columns (default: the events table's)."""
    return pa.schema([pa.field(c["Name"], arrow_type(c["Type"])) for c in (columns or glue_columns())])
