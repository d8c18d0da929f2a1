"""The state-machine harness itself: a wait loop over a faked Personalize call runs to the end."""

from __future__ import annotations

import json
from typing import Any

from sfn_testkit import FakeServiceError, entered_states, run_execution, sfn_harness

DEFINITION = {
    "StartAt": "Create dataset group",
    "States": {
        "Create dataset group": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:personalize:createDatasetGroup",
            "Parameters": {"Name.$": "$.name"},
            "ResultPath": "$.created",
            "Next": "Describe",
        },
        "Describe": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:personalize:describeDatasetGroup",
            "Parameters": {"DatasetGroupArn.$": "$.created.DatasetGroupArn"},
            "ResultPath": "$.described",
            "Next": "Active?",
        },
        "Active?": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.described.DatasetGroup.Status", "StringEquals": "ACTIVE", "Next": "Done"},
                {
                    "Variable": "$.described.DatasetGroup.Status",
                    "StringEquals": "CREATE FAILED",
                    "Next": "Failed",
                },
            ],
            "Default": "Wait",
        },
        "Wait": {"Type": "Wait", "SecondsPath": "$.wait_seconds", "Next": "Describe"},
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "DatasetGroupFailed"},
    },
}


def _fake_personalize(harness: Any, statuses: list[str]) -> None:
    arn = "arn:aws:personalize:us-east-1:123456789012:dataset-group/dg"
    harness.fake("personalize", "CreateDatasetGroup", lambda p: {"datasetGroupArn": arn})
    harness.fake(
        "personalize",
        "DescribeDatasetGroup",
        lambda p: {"datasetGroup": {"datasetGroupArn": p["datasetGroupArn"], "status": statuses.pop(0)}},
    )


def test_sfn_testkit_runs_a_wait_loop_with_api_member_names_and_pascal_results() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN Personalize answering "pending" twice, then "active"
        _fake_personalize(harness, ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"])
        # WHEN the definition runs
        result = run_execution(DEFINITION, {"name": "dg", "wait_seconds": 0})
        # THEN it loops twice and succeeds; the fake saw the API's member names
        assert result["status"] == "SUCCEEDED"
        assert entered_states(result).count("Describe") == 3
        assert harness.called("personalize", "CreateDatasetGroup") == [{"name": "dg"}]
        assert json.loads(result["output"])["described"]["DatasetGroup"]["Status"] == "ACTIVE"


def test_sfn_testkit_failure_status_and_service_errors_fail_the_execution() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN a dataset group that fails
        _fake_personalize(harness, ["CREATE FAILED"])
        # WHEN it runs  THEN the Fail state ends it
        assert run_execution(DEFINITION, {"name": "dg", "wait_seconds": 0})["status"] == "FAILED"

    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN the service refusing the call
        def refuse(params: dict[str, Any]) -> dict[str, Any]:
            raise FakeServiceError("LimitExceededException", "too many dataset groups")

        harness.fake("personalize", "CreateDatasetGroup", refuse)
        # WHEN it runs  THEN the execution fails with the service's error
        result = run_execution(DEFINITION, {"name": "dg", "wait_seconds": 0}, name="refused")
        assert result["status"] == "FAILED"
        failed = [e for e in result["history"] if e["type"] == "ExecutionFailed"]
        assert "LimitExceeded" in json.dumps(failed, default=str)
