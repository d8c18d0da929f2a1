"""Handlers take their port as an optional argument (the wiring's by default), so a test hands them a
fake: no environment, no cache reset, no module reload."""

from __future__ import annotations

import pytest
from builders import FakeLambdaContext, FakeObjectStore

from audience.activation.queries import QueryConfigError
from functions.model_gate.app import handler as model_gate
from functions.segment_queries.app import handler as validate_queries


def test_handler_segment_queries_reads_the_injected_lake() -> None:
    # GIVEN a fake lake holding a queries file
    lake = FakeObjectStore()
    lake.put_object("personalize/queries.jsonl", b'{"itemAttributes": "ITEMS.genres = \\"Action\\""}\n')
    # WHEN the handler runs with that lake
    answer = validate_queries(
        {"queries_key": "personalize/queries.jsonl", "num_results": 100}, FakeLambdaContext(), lake=lake
    )
    # THEN it answers from it
    assert answer == {"queries": ['ITEMS.genres = "Action"'], "count": 1, "num_results": 100}
    # AND a missing file is the lake's error, not a configuration one
    with pytest.raises(FileNotFoundError):
        validate_queries({"queries_key": "missing.jsonl", "num_results": 100}, FakeLambdaContext(), lake=lake)
    with pytest.raises(QueryConfigError):
        validate_queries(
            {"queries_key": "personalize/queries.jsonl", "num_results": 0}, FakeLambdaContext(), lake=lake
        )


def test_handler_model_gate_reads_the_injected_model_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a model bucket name and an empty fake bucket (no candidate output)
    from audience.core.settings import get_settings

    monkeypatch.setenv("AUDIENCE_MODEL_BUCKET", "models")
    get_settings.cache_clear()
    models = FakeObjectStore()
    event = {"model": "churn", "training_job_name": "job-1", "output_path": "s3://models/training/churn"}
    try:
        # WHEN the gate runs on it  THEN it reads the injected store (and finds no candidate there)
        with pytest.raises(FileNotFoundError):
            model_gate(event, FakeLambdaContext(), models=models)
    finally:
        get_settings.cache_clear()
