"""The Personalize training workflow, executed by moto's interpreter with faked Personalize/Athena.

Covers: success with waiting (every asynchronous step answers in-progress statuses first), a rerun
that reuses the dataset group, schemas, datasets and solution, a failed step reported by name, a
poll limit reached (timeout), and an invalid queries file stopped before anything is created.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from personalize_fakes import (
    BUCKET,
    FakePersonalize,
    aws_backend_env,
    fake_athena,
    lambda_fake,
    observers,
    substitutions,
)
from sfn_testkit import entered_states, run_execution, sfn_harness

from functions.segment_queries.app import handler as validate_handler

DEFINITION = (Path(__file__).parents[2] / "statemachines" / "personalize_training.asl.json").read_text()
QUERIES = (
    '{"itemAttributes": "ITEMS.genres = \\"Action\\""}\n{"itemAttributes": "ITEMS.genres = \\"Comedy\\""}\n'
)


def _input(**overrides: Any) -> dict[str, Any]:
    return {
        "queries_key": "personalize/queries/queries.json",
        "queries_file": "queries.json",
        "num_results": 100,
        "wait_seconds": 0,
        "max_wait_seconds": 0,
        "max_polls": 10,
        **overrides,
    }


def _setup(harness: Any, queries: str = QUERIES) -> Any:
    obs = observers(harness)
    harness.client("s3").put_object(
        Bucket=BUCKET, Key="personalize/queries/queries.json", Body=queries.encode()
    )
    harness.fake("lambda", "Invoke", lambda_fake({"validate-queries": validate_handler}))
    return obs


def test_training_workflow_runs_every_step_through_its_wait_loop_and_publishes() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN Personalize and Athena answering "in progress" before "done", and a valid queries file
        obs = _setup(harness)
        FakePersonalize().install(harness)
        fake_athena(harness, ["QUEUED", "RUNNING", "SUCCEEDED"])
        # WHEN the workflow runs
        result = run_execution(DEFINITION, _input(), substitutions=substitutions(obs.topic_arn))
        # THEN it succeeds after waiting in every loop
        assert result["status"] == "SUCCEEDED", result.get("cause")
        states = entered_states(result)
        for step in ("dataset group", "interactions import", "solution version", "batch segment job"):
            assert states.count(f"Wait for {step}") == 2, step
        assert states.count("Wait for interactions export") == 2
        # AND the calls carried the API's member names and the right values
        solution = harness.called("personalize", "CreateSolution")[0]
        assert solution["recipeArn"] == "arn:aws:personalize:::recipe/aws-item-attribute-affinity"
        job = harness.called("personalize", "CreateBatchSegmentJob")[0]
        assert job["numResults"] == 100
        assert job["jobInput"]["s3DataSource"]["path"] == f"s3://{BUCKET}/personalize/queries/queries.json"
        imports = harness.called("personalize", "CreateDatasetImportJob")
        assert imports[0]["dataSource"]["dataLocation"] == f"s3://{BUCKET}/personalize/exports/qe-1.csv"
        assert [json.loads(s["schema"])["name"] for s in harness.called("personalize", "CreateSchema")] == [
            "Interactions",
            "Items",
            "Users",
        ]
        # AND the bus saw the state changes, the last one pointing at the job's output file
        events = obs.drain(harness, obs.events_queue)
        assert [e["detail-type"] for e in events] == [
            "Personalize training started",
            "Personalize solution version active",
            "Batch segment job finished",
        ]
        assert events[-1]["detail"]["output_key"] == "personalize/segments/under-test/queries.json.out"
        # AND the topic got the success notification
        [message] = obs.drain(harness, obs.topic_queue)
        assert "finished" in message and "(2 queries)" in message


def test_training_workflow_rerun_reuses_existing_resources() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN a dataset group, schemas, datasets and solution left by an earlier run
        obs = _setup(harness)
        fake = FakePersonalize(pending=[])
        fake.existing |= {
            substitutions("")["DatasetGroupArn"],
            substitutions("")["SolutionArn"],
            *(
                f"{substitutions('')['SchemaArnPrefix']}audience-test-{n}"
                for n in ("interactions", "items", "users")
            ),
            *(f"{substitutions('')['DatasetArnPrefix']}{t}" for t in ("INTERACTIONS", "ITEMS", "USERS")),
        }
        fake.install(harness)
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs again
        result = run_execution(DEFINITION, _input(), substitutions=substitutions(obs.topic_arn), name="rerun")
        # THEN every create met ResourceAlreadyExists and the run carried on with the existing ones
        assert result["status"] == "SUCCEEDED", result.get("cause")
        assert len(harness.called("personalize", "CreateDataset")) == 3
        assert not [s for s in entered_states(result) if s.startswith("Failed at")]
        # AND new data was still imported and a new version trained
        assert len(harness.called("personalize", "CreateDatasetImportJob")) == 3
        assert len(harness.called("personalize", "CreateSolutionVersion")) == 1


def test_training_workflow_failed_step_is_reported_by_name_to_bus_and_topic() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN training that fails
        obs = _setup(harness)
        FakePersonalize(
            final={"solution-version": "CREATE FAILED"},
            reasons={"solution-version": "not enough interactions"},
        ).install(harness)
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs
        result = run_execution(DEFINITION, _input(), substitutions=substitutions(obs.topic_arn), name="fails")
        # THEN the execution fails naming the step and the service's reason
        assert result["status"] == "FAILED"
        assert result["error"] == "StepFailed"
        assert result["cause"].startswith("solution version: status CREATE FAILED")
        assert "not enough interactions" in result["cause"]
        assert not harness.called("personalize", "CreateBatchSegmentJob")
        # AND the failure went to the bus and the topic
        failed = [
            e
            for e in obs.drain(harness, obs.events_queue)
            if e["detail-type"] == "Personalize training failed"
        ]
        assert failed[0]["detail"]["failure"]["step"] == "solution version"
        [message] = obs.drain(harness, obs.topic_queue)
        assert "failed at step solution version" in message


def test_training_workflow_stops_polling_after_the_poll_limit() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN a dataset group that never leaves CREATE PENDING
        obs = _setup(harness)
        FakePersonalize(pending=["CREATE PENDING"] * 50).install(harness)
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs with at most 3 polls per step
        result = run_execution(
            DEFINITION, _input(max_polls=3), substitutions=substitutions(obs.topic_arn), name="slow"
        )
        # THEN it fails as timed out at that step, after exactly 3 waits
        assert result["status"] == "FAILED"
        assert result["error"] == "StepTimedOut"
        assert result["cause"].startswith("dataset group: still CREATE PENDING after 3 polls")
        assert entered_states(result).count("Wait for dataset group") == 3


@pytest.mark.parametrize(
    ("queries", "reason"),
    [
        ("".join(f'{{"itemAttributes": "ITEMS.genres = \\"G{i}\\""}}\n' for i in range(11)), "at most 10"),
        ('{"itemAttributes": "genres is Action"}\n', "line 1"),
    ],
)
def test_training_workflow_rejects_a_bad_queries_file_before_creating_anything(
    queries: str, reason: str
) -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN an invalid queries file
        obs = _setup(harness, queries)
        FakePersonalize().install(harness)
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs
        result = run_execution(DEFINITION, _input(), substitutions=substitutions(obs.topic_arn), name="bad")
        # THEN the validation step fails it with the reason, and nothing was created
        assert result["status"] == "FAILED"
        assert result["error"] == "StepError"
        assert "QueryConfigError" in result["cause"]
        assert result["cause"].startswith("Validate queries:") and reason in result["cause"]
        assert not harness.called("personalize", "CreateDatasetGroup")
