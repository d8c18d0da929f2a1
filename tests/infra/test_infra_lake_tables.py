"""The tables shared between stages: one contract for the Glue catalog, the local lake and the queries."""

from __future__ import annotations

import json
from typing import Any

from infra_testkit import ROOT, sub_text, template

from audience.insights import queries
from audience.insights.adapters.local.duckdb_sql import TABLE_PREFIXES
from schemas.lake_tables import LAKE_TABLES

GENERATED = ROOT / "schemas" / "generated" / "lake_tables.json"


def _glue_tables() -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["TableInput"]["Name"]: r["Properties"]["TableInput"]
        for r in template()["Resources"].values()
        if r["Type"] == "AWS::Glue::Table"
    }


def test_shared_tables_in_the_catalog_are_exactly_the_generated_contract() -> None:
    # GIVEN the derived document and the template's Glue tables
    expected = json.loads(GENERATED.read_text())
    tables = _glue_tables()
    # WHEN each shared table is looked up
    for name, spec in expected.items():
        table = tables[name]
        location = sub_text(table["StorageDescriptor"]["Location"])
        # THEN its columns, partition key and location are the contract's, and Athena projects as_of there
        assert table["StorageDescriptor"]["Columns"] == spec["columns"], name
        assert table["PartitionKeys"] == spec["partition_keys"], name
        assert location == f"s3://${{LakeBucket}}/{spec['location']}", name
        assert sub_text(table["Parameters"]["storage.location.template"]) == location + "as_of=${as_of}/"
        assert table["Parameters"]["projection.as_of.type"] == "date"
    assert set(expected) == {t.name for t in LAKE_TABLES}


def test_local_lake_sql_and_the_insights_queries_use_the_contracts_names_and_places() -> None:
    # GIVEN the shared tables  WHEN the local lake SQL's views and the queries' table names are read
    # THEN DuckDB reads each where its writer writes it, and the queries name the Glue tables
    for table in LAKE_TABLES:
        assert TABLE_PREFIXES[table.name] + "/" == table.location
    assert {queries.CHURN, queries.ENGAGEMENT, queries.SEGMENTS} == {t.name for t in LAKE_TABLES}
