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

The input checks are counts of bad events. A job whose output groups every window event exactly once
(user x content) folds them into that grouping (:func:`input_tallies`) and has them summed in its
output's check pass: no persisted copy of the deduplicated events, no pass of their own over them
(on 4M events locally, that copy and that pass were half of the job's time). The other jobs check
the events in a pass of their own (:func:`input_failures`); both ways give the same figures.
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


def table_failures(
    df: DataFrame, contract: TableContract, *, input_empty: bool | None
) -> tuple[int, list[str], dict[str, int]]:
    """The table's row count, every failed check (none when it passes) and the input tallies it carries.

    ``input_empty=None`` means the table carries the input's tallies (:func:`input_tallies`, folded
    into its own aggregation): they are summed in the same pass, and whether the input was empty is
    read from them. The tallies come back summed (empty otherwise).
    """
    rules = _rules(contract)
    keys = [F.col(k) for k in contract.key]
    tallied = [name for name in TALLIES if input_empty is None]
    row = df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct(*keys).alias("keys"),
        *[F.count(F.when(bad, True)).alias(f"r{i}") for i, (_, bad) in enumerate(rules)],
        *[F.coalesce(F.sum(name), F.lit(0)).alias(name) for name in tallied],
    ).first()
    assert row is not None
    tallies = {name: int(row[name]) for name in tallied}
    if input_empty is None:
        input_empty = tallies[_ROWS] == 0
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
    return rows, failures, tallies


_REQUIRED_INPUT = ("event_id", "user_id", "content_id", "event_type", "event_timestamp")
_ROWS = "_in_rows"


def _input_rules() -> list[tuple[str, Column]]:
    """(tally column, condition that is true on a bad event) for each input check."""
    known = [kind for kind, _ in EVENT_TYPES]
    rate = F.col("completion_rate")
    return [
        *[(f"_in_{c}_null", F.col(c).isNull()) for c in _REQUIRED_INPUT],
        ("_in_unknown_type", ~F.col("event_type").isin(*known)),
        ("_in_rate", (rate < 0) | (rate > 1)),
        ("_in_duration", F.col("view_duration") < 0),
    ]


TALLIES: tuple[str, ...] = (
    _ROWS,
    *[f"_in_{c}_null" for c in _REQUIRED_INPUT],
    "_in_unknown_type",
    "_in_rate",
    "_in_duration",
)
"""The columns :func:`input_tallies` adds, in order (:func:`_input_rules`' names after the row count)."""


def input_tallies() -> dict[str, Column]:
    """The input checks as aggregate columns (name to expression), to fold into a job's own grouping.

    Counted per group and summed over the groups (:func:`check_outputs` with the output's name for
    ``events``), they give the very figures :func:`input_failures` computes over the whole window,
    without a pass of their own over the events: the events need then be neither persisted nor read
    twice. The grouping must see every window event exactly once (a left join to a reference table
    with a unique key keeps that; a duplicated key, itself a failed check, would count an event
    once per copy).
    """
    return {
        _ROWS: F.count(F.lit(1)),
        **{name: F.count(F.when(bad, True)) for name, bad in _input_rules()},
    }


def _event_failures(counts: Mapping[str, int]) -> list[str]:
    known = [kind for kind, _ in EVENT_TYPES]
    failures = [
        f"events: {c} is null in {counts[f'_in_{c}_null']} rows"
        for c in _REQUIRED_INPUT
        if counts[f"_in_{c}_null"]
    ]
    if counts["_in_unknown_type"]:
        failures.append(f"events: event_type not in {known} in {counts['_in_unknown_type']} rows")
    if counts["_in_rate"]:
        failures.append(f"events: completion_rate outside [0, 1] in {counts['_in_rate']} rows")
    if counts["_in_duration"]:
        failures.append(f"events: view_duration < 0 in {counts['_in_duration']} rows")
    return failures


def reference_failures(references: Mapping[str, tuple[DataFrame, str]]) -> list[str]:
    """A failure per reference table (name to (frame, key column)) whose key appears more than once."""
    failures = []
    for name, (frame, key) in references.items():
        duplicated = frame.groupBy(key).count().where(F.col("count") > 1).count()
        if duplicated:
            failures.append(f"{name}: {duplicated} {key} values appear more than once")
    return failures


def input_failures(
    events: DataFrame, references: Mapping[str, tuple[DataFrame, str]]
) -> tuple[int, list[str]]:
    """How many events the window holds, and the failed checks on them and on the reference tables
    (``references``: name to (frame, key column))."""
    row = events.agg(*[column.alias(name) for name, column in input_tallies().items()]).first()
    assert row is not None
    counts = {name: int(row[name]) for name in TALLIES}
    return counts[_ROWS], _event_failures(counts) + reference_failures(references)


def check_outputs(
    outputs: Mapping[str, DataFrame],
    events: DataFrame | str,
    references: Mapping[str, tuple[DataFrame, str]],
) -> dict[str, int]:
    """Check the inputs and every output; the row count per output, or :class:`DataQualityError`.

    ``events`` is the window's events, checked in a pass of their own, or the name of the output
    that carries their :func:`input_tallies` (checked in that output's pass; the other outputs then
    follow it). Call with ``outputs`` persisted: they are counted here and written afterwards
    (:func:`contract_columns` drops the tallies).
    """
    rows = {}
    if isinstance(events, str):
        rows[events], failures, tallies = table_failures(outputs[events], table(events), input_empty=None)
        event_count = tallies[_ROWS]
        failures = _event_failures(tallies) + reference_failures(references) + failures
    else:
        event_count, failures = input_failures(events, references)
    for name, df in outputs.items():
        if name in rows:
            continue
        rows[name], table_problems, _ = table_failures(df, table(name), input_empty=event_count == 0)
        failures += table_problems
    if failures:
        raise DataQualityError(failures)
    return rows


def contract_columns(df: DataFrame, name: str) -> DataFrame:
    """The table's own columns (``feature_tables.json``), without the tallies a check reads."""
    return df.select(*[F.col(f"`{column}`") for column in table(name).names])
