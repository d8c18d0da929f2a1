"""Parquet tables and JSON documents in the lake through the :class:`~audience.core.objectstore.ports.ObjectStore` port.

The same calls read a local folder lake, an S3 bucket, or a SageMaker Processing folder; partitions
are ``<table>/as_of=YYYY-MM-DD/`` as everywhere in the lake. A missing table is ``None``, never an
error: the Explorer's producers (features, models) may not have run yet.
"""

from __future__ import annotations

import io
import json
import re
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:  # the port is only a type here: the Glue job ships without schemas/
    from audience.core.objectstore.ports import ObjectStore

_AS_OF: Final = re.compile(r"/as_of=(\d{4}-\d{2}-\d{2})/")

SEGMENTS: Final = "segments"
ASSIGNMENTS: Final = f"{SEGMENTS}/assignments"
PROFILES: Final = f"{SEGMENTS}/profiles"
AFFINITY: Final = f"{SEGMENTS}/affinity"
EMBEDDING: Final = f"{SEGMENTS}/embedding"
RUNS: Final = f"{SEGMENTS}/runs"
USER_FEATURES: Final = "features/user_features"
CHURN_SCORES: Final = "predictions/churn_scores"
ENGAGEMENT_SCORES: Final = "predictions/engagement_scores"


def latest_as_of(store: ObjectStore, table: str, before: str | None = None) -> str | None:
    """The newest ``as_of`` partition of ``table`` holding a file (optionally older than ``before``)."""
    dates = {m.group(1) for key in store.list_keys(table + "/") if (m := _AS_OF.search(key))}
    if before is not None:
        dates = {d for d in dates if d < before}
    return max(dates) if dates else None


def read_table(store: ObjectStore, table: str, as_of: str | None = None) -> pa.Table | None:
    """All Parquet files of one partition (the latest if ``as_of`` is None) as one table."""
    as_of = as_of or latest_as_of(store, table)
    if as_of is None:
        return None
    keys = [k for k in store.list_keys(f"{table}/as_of={as_of}/") if k.endswith(".parquet")]
    if not keys:
        return None
    parts = [pq.read_table(io.BytesIO(store.get_object(k))) for k in keys]
    return pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]


def write_table(store: ObjectStore, table: str, as_of: str, data: pa.Table) -> str:
    """Replace the partition's single file (the job rewrites a day's output whole)."""
    sink = io.BytesIO()
    pq.write_table(data, sink, compression="zstd")
    key = f"{table}/as_of={as_of}/part-00000.parquet"
    store.put_object(key, sink.getvalue())
    return key


def read_json(store: ObjectStore, key: str) -> dict[str, Any] | None:
    try:
        value = json.loads(store.get_object(key))
    except FileNotFoundError:
        return None
    return value if isinstance(value, dict) else None


def write_json(store: ObjectStore, key: str, value: dict[str, Any]) -> None:
    store.put_object(key, (json.dumps(value, indent=1, default=str) + "\n").encode(), "application/json")
