"""The output columns and the lake's columns, read from the documents ``schemas/derive.py`` generates.

In the repository they are ``schemas/generated/{feature_tables,glue_columns}.json``; the Glue zip carries
copies under ``glue_jobs/features_lib/contract/`` (``scripts/package.py`` puts them there), since
the ``schemas`` package (and pydantic) is not shipped to Glue.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

_REPO_GENERATED = Path(__file__).resolve().parents[2] / "schemas" / "generated"


def _load(name: str) -> Any:
    packaged = resources.files(__package__) / "contract" / name
    if packaged.is_file():
        return json.loads(packaged.read_text(encoding="utf-8"))
    return json.loads((_REPO_GENERATED / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class TableContract:
    name: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    """(name, Glue type) in column order."""
    required: frozenset[str]
    """Columns that must never be null."""

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def ddl(self) -> str:
        return ", ".join(f"`{name}` {glue_type}" for name, glue_type in self.columns)

    def spark_schema(self, spark: SparkSession) -> StructType:
        return spark.createDataFrame([], self.ddl()).schema


@cache
def table(name: str) -> TableContract:
    doc = _load("feature_tables.json")
    if name not in doc:
        raise KeyError(f"no feature table {name!r} in feature_tables.json")
    entry = doc[name]
    return TableContract(
        name=name,
        key=tuple(entry["key"]),
        columns=tuple((c["Name"], c["Type"]) for c in entry["columns"]),
        required=frozenset(entry["required"]),
    )


@cache
def lake_ddl() -> str:
    """The events table's columns as a Spark DDL string (Glue type names are valid Spark DDL types)."""
    return ", ".join(f"`{c['Name']}` {c['Type']}" for c in _load("glue_columns.json")["columns"])


_WIDENING = {("int", "bigint"), ("int", "double"), ("bigint", "double"), ("float", "double")}


def conform(df: DataFrame, contract: TableContract, extra: Sequence[str] = ()) -> DataFrame:
    """Select the contract's columns in its order and types, then the ``extra`` ones as they are.

    ``extra`` are columns a caller asked to carry along (a check's tallies), never part of the table.
    A missing or extra column, or a type that is not the contract's (other than a lossless widening such
    as int to bigint, or an untyped null), is a bug in the transformation and raises ``ValueError``.
    """
    produced, expected = set(df.columns), set(contract.names) | set(extra)
    if produced != expected:
        raise ValueError(
            f"{contract.name}: columns differ from feature_tables.json; "
            f"missing {sorted(expected - produced)}, unexpected {sorted(produced - expected)}"
        )
    actual = {field.name: field.dataType.simpleString() for field in df.schema.fields}
    columns: list[Column] = []
    for name, glue_type in contract.columns:
        have = actual[name]
        if have != glue_type and have != "void" and (have, glue_type) not in _WIDENING:
            raise ValueError(f"{contract.name}.{name}: produced {have}, feature_tables.json says {glue_type}")
        columns.append(F.col(f"`{name}`").cast(glue_type).alias(name))
    return df.select(*columns, *[F.col(f"`{name}`") for name in extra])
