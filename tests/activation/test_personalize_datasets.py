"""Personalize datasets: the Avro schemas agree with the contract and with the AWS sample's fixture;
the export writes what Personalize imports; the queries file is validated before a job starts."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from audience.activation.export import export_datasets
from audience.activation.queries import QueryConfigError, parse_query, read_queries
from schemas.derive import GENERATED, render
from schemas.personalize import DATASETS, PersonalizeInteraction, PersonalizeItem, avro_schemas, csv_header

ROOT = Path(__file__).parents[2]
BINGEWATCH = ROOT.parent / "shared" / "data" / "bingewatch"


def test_personalize_avro_schemas_follow_the_models_and_are_committed() -> None:
    # GIVEN the models  WHEN the Avro schemas are derived
    schemas = avro_schemas()
    # THEN every model field is there, in order, categorical where the model says so
    for dataset, (record, model) in DATASETS.items():
        assert schemas[dataset]["name"] == record
        assert [f["name"] for f in schemas[dataset]["fields"]] == csv_header(model)
    assert {f["name"]: f for f in schemas["ITEMS"]["fields"]}["GENRES"] == {
        "name": "GENRES",
        "type": "string",
        "categorical": True,
    }
    # AND the committed copy is current
    assert (GENERATED / "personalize_schemas.json").read_text() == render(schemas)


@pytest.mark.skipif(not BINGEWATCH.exists(), reason="../shared/data/bingewatch not present")
def test_personalize_schemas_match_the_reference_samples_shape() -> None:
    # GIVEN the AWS sample's dataset configuration and CSVs
    config = json.loads((BINGEWATCH / "personalize_config.json").read_text())
    theirs = {
        name: config["datasets"][name]["schema"]["serviceConfig"]["schema"]
        for name in ("interactions", "items")
    }
    ours = avro_schemas()

    # WHEN compared  THEN the interactions fields have the same names and Avro types
    def types(schema: dict[str, object]) -> dict[str, object]:
        return {f["name"]: f["type"] for f in schema["fields"]}  # type: ignore[index,union-attr]

    their_types, our_types = types(theirs["interactions"]), types(ours["INTERACTIONS"])
    assert set(their_types) == set(our_types)
    for name, kind in their_types.items():
        base = [t for t in (kind if isinstance(kind, list) else [kind]) if t != "null"]
        assert base == [
            t
            for t in (our_types[name] if isinstance(our_types[name], list) else [our_types[name]])
            if t != "null"
        ]
    # AND items carry GENRES as a categorical string, with the namespace and record shape Personalize takes
    genres = next(f for f in theirs["items"]["fields"] if f["name"] == "GENRES")
    assert genres == next(f for f in ours["ITEMS"]["fields"] if f["name"] == "GENRES")
    assert theirs["items"]["namespace"] == ours["ITEMS"]["namespace"] and ours["ITEMS"]["type"] == "record"
    # AND the sample's CSV headers use only our field names, and its rows validate against our models
    with (BINGEWATCH / "interactions.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == set(csv_header(PersonalizeInteraction))
    PersonalizeInteraction.model_validate({k: v for k, v in rows[0].items()})
    with (BINGEWATCH / "items.csv").open() as f:
        item = next(csv.DictReader(f))
    assert "|" in item["GENRES"] or item["GENRES"]


def _lake(tmp: Path) -> Path:
    lake = tmp / "lake"
    part = lake / "engagement-events" / "year=2026" / "month=11" / "day=20"
    part.mkdir(parents=True)
    con = duckdb.connect()
    con.sql(
        """
        COPY (SELECT * FROM (VALUES
          ('e1', 'u1', 'c1', 'view', TIMESTAMP '2026-11-20 10:00:00', {'view_duration': 10.0, 'completion_rate': 0.5, 'interaction_count': NULL}, TIMESTAMP '2026-11-20 10:00:01', 'r1'),
          ('e1', 'u1', 'c1', 'view', TIMESTAMP '2026-11-20 10:00:00', {'view_duration': 10.0, 'completion_rate': 0.5, 'interaction_count': NULL}, TIMESTAMP '2026-11-20 10:05:00', 'r2'),
          ('e2', 'u2', 'c2', 'like', TIMESTAMP '2026-11-20 11:00:00', {'view_duration': NULL, 'completion_rate': NULL, 'interaction_count': 1}, TIMESTAMP '2026-11-20 11:00:01', 'r3'),
          ('e3', 'u2', 'c1', 'skip', TIMESTAMP '2026-11-20 12:00:00', {'view_duration': NULL, 'completion_rate': NULL, 'interaction_count': NULL}, TIMESTAMP '2026-11-20 12:00:01', 'r4')
        ) t(event_id, user_id, content_id, event_type, event_timestamp, metadata, ingested_at, request_id))
        TO '"""
        + str(part / "part-0.parquet")
        + "' (FORMAT PARQUET)"
    )
    return lake


def test_personalize_export_writes_deduplicated_interactions_items_and_users(tmp_path: Path) -> None:
    # GIVEN a lake with a repeated delivery and a skip, and the reference tables
    lake = _lake(tmp_path)
    # WHEN the datasets are exported
    report = export_datasets(lake, ROOT / "data", tmp_path / "out")
    # THEN interactions have one row per event id, no skip, epoch seconds, and the contract's header
    with report.files["interactions"].open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == csv_header(PersonalizeInteraction)
    assert [(r["USER_ID"], r["EVENT_TYPE"], r["EVENT_VALUE"]) for r in rows] == [
        ("u1", "view", "0.5"),
        ("u2", "like", ""),
    ]
    assert int(rows[0]["TIMESTAMP"]) == int(datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp())
    # AND a manifest lists the upload's files with their sizes and hashes (uploaded last, it starts
    # one training run in the cloud)
    manifest = json.loads(report.files["manifest"].read_text())
    assert report.files["manifest"].name == "manifest.json"
    assert set(manifest["files"]) == {"items", "users"}
    assert manifest["files"]["items"]["bytes"] == report.files["items"].stat().st_size
    # AND items carry pipe-separated genres, users only categorical attributes
    with report.files["items"].open() as f:
        items = list(csv.DictReader(f))
    assert list(items[0]) == csv_header(PersonalizeItem) and report.items == len(items) == 2000
    assert any("|" in i["GENRES"] for i in items)
    with report.files["users"].open() as f:
        assert next(csv.reader(f)) == ["USER_ID", "AGE_GROUP", "COUNTRY", "SUBSCRIPTION_TIER"]


def test_personalize_queries_parse_and_match_categorical_attributes() -> None:
    # GIVEN an expression with AND, OR, IN and a negation
    q = parse_query(
        'ITEMS.genres = "Action" AND ITEMS.content_type != "article" OR ITEMS.genres IN ("Kids", "Music")'
    )
    # WHEN matched against items  THEN AND binds tighter than OR
    assert q.matches({"genres": frozenset({"Action", "Drama"}), "content_type": frozenset({"video"})})
    assert not q.matches({"genres": frozenset({"Action"}), "content_type": frozenset({"article"})})
    assert q.matches({"genres": frozenset({"Music"}), "content_type": frozenset({"article"})})


def test_personalize_queries_file_is_rejected_with_every_reason() -> None:
    # GIVEN 11 lines, one not JSON, one with an extra key, one not a condition, one duplicate
    lines = [json.dumps({"itemAttributes": f'ITEMS.genres = "G{i}"'}) for i in range(7)]
    lines += [
        "{not json",
        json.dumps({"itemAttributes": "x", "n": 1}),
        json.dumps({"itemAttributes": "genres = Action"}),
    ]
    lines += [lines[0]]
    # WHEN validated
    with pytest.raises(QueryConfigError) as raised:
        read_queries(lines)
    # THEN each problem is named with its line, and the 10-query limit too
    reasons = raised.value.reasons
    assert any(r.startswith("line 8: not JSON") for r in reasons)
    assert any(r.startswith("line 9: expected exactly") for r in reasons)
    assert any(r.startswith("line 10: not an ITEMS") for r in reasons)
    assert any(r.startswith("line 11: duplicate") for r in reasons)
    assert any("at most 10" in r for r in reasons)
    # AND a valid file gives its queries in order
    assert [q.text for q in read_queries(lines[:2])] == ['ITEMS.genres = "G0"', 'ITEMS.genres = "G1"']
