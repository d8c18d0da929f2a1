"""Data-quality checks run on every output before anything is written.

A job computes all its tables, checks all of them, and writes only if every check passes; otherwise
it raises :class:`DataQualityError` listing each failed check, and no partition is touched.

Checks per table (one aggregation pass plus the key check):

* rows: more than 0 when the input window holds events; 0 when it is empty (an empty window writes
  empty partitions: see ``glue_jobs/README.md``);
* no nulls in the columns ``feature_tables.json`` lists as required (the keys among them);
* the key is unique;
* counts, durations, scores, recencies and entropies are >= 0 (every bigint and double column but
  ``tenure_days``); shares and completion rates lie in [0, 1]; ``churned`` is 0 or 1;
  ``dominant_hour_bucket`` is a known bucket; ``events`` equals the sum of the six type counts.

The inputs are checked too: the window's events must have an id, user, content, a known event type
and a timestamp, a completion rate in [0, 1] and a view duration >= 0 (the contract's ranges), and
the reference tables must have unique keys (a duplicate would double counts).
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_jobs.features_lib.contract import TableContract, table
from glue_jobs.features_lib.transforms import EVENT_TYPES, HOUR_BUCKETS


class DataQualityError(Exception):
    """One or more checks failed; nothing was written."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        listed = "\n".join(f"  - {f}" for f in failures)
        super().__init__(f"data quality checks failed, nothing written:\n{listed}")


_SIGNED = frozenset({"tenure_days"})
_COUNT_COLUMNS = ("events", *[name for _, name in EVENT_TYPES])


def _in_unit_interval(name: str) -> bool:
    return name.endswith("_share") or "_share_" in name or name.endswith("completion_rate")


def _rules(contract: TableContract) -> list[tuple[str, Column]]:
    """(description, condition that is true on a bad row) for each value rule of the table."""
    rules: list[tuple[str, Column]] = []
    for name in sorted(contract.required):
        rules.append((f"{name} is null", F.col(name).isNull()))
    for name, glue_type in contract.columns:
        col = F.col(name)
        if glue_type in ("bigint", "double") and name not in _SIGNED:
            rules.append((f"{name} < 0", col < 0))
        if glue_type == "double":
            rules.append((f"{name} is NaN", F.isnan(col)))
        if _in_unit_interval(name):
            rules.append((f"{name} > 1", col > 1))
        if name == "churned":
            rules.append(("churned not in (0, 1)", ~col.isin(0, 1)))
        if name == "dominant_hour_bucket":
            rules.append((f"dominant_hour_bucket not in {HOUR_BUCKETS}", ~col.isin(*HOUR_BUCKETS)))
    if set(_COUNT_COLUMNS) <= set(contract.names):
        total = sum((F.col(c) for c in _COUNT_COLUMNS[1:]), F.lit(0))
        rules.append(("events != sum of the type counts", F.col("events") != total))
    return rules


def table_failures(df: DataFrame, contract: TableContract, *, input_empty: bool) -> tuple[int, list[str]]:
    """The table's row count and every failed check (none when it passes)."""
    rules = _rules(contract)
    keys = [F.col(k) for k in contract.key]
    row = df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct(*keys).alias("keys"),
        *[F.count(F.when(bad, True)).alias(f"r{i}") for i, (_, bad) in enumerate(rules)],
    ).first()
    assert row is not None
    failures = []
    rows = int(row["rows"])
    if input_empty and rows:
        failures.append(f"{contract.name}: {rows} rows from an empty input window")
    if not input_empty and not rows:
        failures.append(f"{contract.name}: no rows although the input window holds events")
    if int(row["keys"]) != rows:
        failures.append(
            f"{contract.name}: key ({', '.join(contract.key)}) not unique: "
            f"{rows} rows, {row['keys']} distinct non-null keys"
        )
    for i, (description, _) in enumerate(rules):
        bad = int(row[f"r{i}"])
        if bad:
            failures.append(f"{contract.name}: {description} in {bad} of {rows} rows")
    return rows, failures


def input_failures(
    events: DataFrame, references: Mapping[str, tuple[DataFrame, str]]
) -> tuple[int, list[str]]:
    """How many events the window holds, and the failed checks on them and on the reference tables
    (``references``: name to (frame, key column))."""
    required = ("event_id", "user_id", "content_id", "event_type", "event_timestamp")
    known = [kind for kind, _ in EVENT_TYPES]
    row = events.agg(
        F.count(F.lit(1)).alias("_rows"),
        *[F.count(F.when(F.col(c).isNull(), True)).alias(c) for c in required],
        F.count(F.when(~F.col("event_type").isin(*known), True)).alias("unknown_type"),
        F.count(F.when((F.col("completion_rate") < 0) | (F.col("completion_rate") > 1), True)).alias("rate"),
        F.count(F.when(F.col("view_duration") < 0, True)).alias("duration"),
    ).first()
    assert row is not None
    failures = [f"events: {c} is null in {row[c]} rows" for c in required if row[c]]
    if row["unknown_type"]:
        failures.append(f"events: event_type not in {known} in {row['unknown_type']} rows")
    if row["rate"]:
        failures.append(f"events: completion_rate outside [0, 1] in {row['rate']} rows")
    if row["duration"]:
        failures.append(f"events: view_duration < 0 in {row['duration']} rows")
    for name, (frame, key) in references.items():
        duplicated = frame.groupBy(key).count().where(F.col("count") > 1).count()
        if duplicated:
            failures.append(f"{name}: {duplicated} {key} values appear more than once")
    return int(row["_rows"]), failures


def check_outputs(
    outputs: Mapping[str, DataFrame],
    events: DataFrame,
    references: Mapping[str, tuple[DataFrame, str]],
) -> dict[str, int]:
    """Check the inputs and every output; the row count per output, or :class:`DataQualityError`.

    Call with ``outputs`` persisted: they are counted here and written afterwards.
    """
    event_count, failures = input_failures(events, references)
    rows = {}
    for name, df in outputs.items():
        rows[name], table_problems = table_failures(df, table(name), input_empty=event_count == 0)
        failures += table_problems
    if failures:
        raise DataQualityError(failures)
    return rows
