"""The Personalize training workflow, executed by moto's interpreter with faked Personalize/Athena.

Covers: success with waiting (every asynchronous step answers in-progress statuses first), a rerun
that reuses the dataset group, schemas, datasets and solution, a failed step reported by name, a
poll limit reached (timeout), and an invalid queries file stopped before anything is created.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from personalize_fakes import (
    ATHENA_RESULT,
    BUCKET,
    FakePersonalize,
    aws_backend_env,
    fake_athena,
    lambda_fake,
    observers,
    substitutions,
)
from sfn_testkit import FakeServiceError, entered_states, run_execution, sfn_harness

from functions.personalize_prepare.app import handler as prepare_handler
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
    s3 = harness.client("s3")
    s3.put_object(Bucket=BUCKET, Key="personalize/queries/queries.json", Body=queries.encode())
    # What Athena leaves for query qe-1 (the fake's id) under the workgroup's output location
    s3.put_object(Bucket=BUCKET, Key="personalize/exports/qe-1.csv", Body=ATHENA_RESULT.read_bytes())
    harness.fake(
        "lambda",
        "Invoke",
        lambda_fake({"validate-queries": validate_handler, "prepare-interactions": prepare_handler}),
    )
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
        prepared = "personalize/exports/prepared/qe-1.csv"
        assert imports[0]["dataSource"]["dataLocation"] == f"s3://{BUCKET}/{prepared}"
        # AND what it imports is Athena's export with the header Personalize wants
        body = harness.client("s3").get_object(Bucket=BUCKET, Key=prepared)["Body"].read().decode()
        assert body.splitlines()[0] == "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP"
        assert len(body.splitlines()) == len(ATHENA_RESULT.read_text().splitlines())
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


def test_training_job_names_fit_personalize_limits_for_an_eighty_character_execution_name() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN an execution name as long as Step Functions allows (EventBridge's are about 73)
        obs = _setup(harness)
        FakePersonalize(pending=[]).install(harness)
        fake_athena(harness, ["SUCCEEDED"])
        name = "a1b2c3d4-e5f6-4789-8abc-def012345678_0f1e2d3c-4b5a-4697-8887-a6b5c4d3e2f1-retry1"
        assert len(name) == 80
        # WHEN the workflow runs under that name
        result = run_execution(DEFINITION, _input(), substitutions=substitutions(obs.topic_arn), name=name)
        # THEN every job name Personalize gets is at most 63 characters of [a-zA-Z0-9-_], prefixed
        assert result["status"] == "SUCCEEDED", result.get("cause")
        jobs = [c["jobName"] for c in harness.called("personalize", "CreateDatasetImportJob")]
        jobs += [c["jobName"] for c in harness.called("personalize", "CreateBatchSegmentJob")]
        assert [j.split("-")[0] for j in jobs] == ["interactions", "items", "users", "segments"]
        for job in jobs:
            assert len(job) <= 63 and re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*", job), job
        # AND one run's jobs share its id (the hash of the execution), so they can be traced together
        assert len({j.split("-", 1)[1] for j in jobs}) == 1


def test_training_solution_turns_personalize_auto_training_off() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN a first run (the solution does not exist yet)
        obs = _setup(harness)
        FakePersonalize(pending=[]).install(harness)
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow creates the solution
        result = run_execution(DEFINITION, _input(), substitutions=substitutions(obs.topic_arn), name="auto")
        # THEN it asks for no automatic training (the API's default is a billed weekly retraining)
        assert result["status"] == "SUCCEEDED", result.get("cause")
        [solution] = harness.called("personalize", "CreateSolution")
        assert solution["performAutoTraining"] is False


def test_training_retries_athena_throttling_while_describing_the_export() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN Athena throttling the first GetQueryExecution, then answering
        obs = _setup(harness)
        FakePersonalize(pending=[]).install(harness)
        fake_athena(harness, ["SUCCEEDED"])
        answers: list[Any] = [FakeServiceError("TooManyRequestsException", "Rate exceeded")]

        def throttled_once(params: dict[str, Any]) -> dict[str, Any]:
            if answers:
                raise answers.pop()
            return {
                "QueryExecution": {
                    "QueryExecutionId": params["QueryExecutionId"],
                    "Status": {"State": "SUCCEEDED"},
                }
            }

        harness.fake("athena", "GetQueryExecution", throttled_once)
        # WHEN the workflow runs
        result = run_execution(DEFINITION, _input(), substitutions=substitutions(obs.topic_arn), name="thr")
        # THEN the throttled call was retried and the run went on
        assert result["status"] == "SUCCEEDED", result.get("cause")
        assert len(harness.called("athena", "GetQueryExecution")) == 2


def test_training_stops_when_the_export_has_no_personalize_columns() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness, aws_backend_env():
        # GIVEN an export whose columns are not the schema's (a changed query)
        obs = _setup(harness)
        harness.client("s3").put_object(
            Bucket=BUCKET, Key="personalize/exports/qe-1.csv", Body=b'"user","item"\n"u1","c1"\n'
        )
        FakePersonalize(pending=[]).install(harness)
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs
        result = run_execution(DEFINITION, _input(), substitutions=substitutions(obs.topic_arn), name="cols")
        # THEN it fails at the preparation step, before creating anything in Personalize
        assert result["status"] == "FAILED"
        assert result["cause"].startswith("Prepare interactions:") and "ExportFormatError" in result["cause"]
        assert not harness.called("personalize", "CreateDatasetGroup")
