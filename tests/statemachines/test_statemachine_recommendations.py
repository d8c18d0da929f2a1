"""The recommendations workflow executed by moto's interpreter: Athena and Personalize faked (a batch
inference fake that really writes its output file), the batch Lambda run in-process against moto's
S3 and DynamoDB. Success with waiting (and a campaign), a rerun that updates the campaign, a
failed training step named in the failure, a poll limit reached; every job name checked against
botocore's service model."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from personalize_fakes import ARN, BUCKET, BUS, FakePersonalize, aws_backend_env, fake_athena, lambda_fake
from sfn_testkit import ACCOUNT, REGION, SfnHarness, entered_states, run_execution, sfn_harness

from functions.recommend_batch.app import handler as batch_handler

DEFINITION = (Path(__file__).parents[2] / "statemachines" / "recommendations.asl.json").read_text()
TABLE = "recommendations-test"
DSG = "audience-test"
SUBS = {
    "EventBusName": BUS,
    "GlueDatabase": "audience_test",
    "AthenaWorkGroup": "primary",
    "Bucket": BUCKET,
    "ExportPrefix": "recommendations/exports/",
    "OutputPrefix": "recommendations/runs/",
    "ItemsKey": "personalize/input/items.csv",
    "UsersKey": "personalize/input/users.csv",
    "DatasetGroupArn": f"{ARN}:dataset-group/{DSG}",
    "InteractionsDatasetArn": f"{ARN}:dataset/{DSG}/INTERACTIONS",
    "SolutionName": f"{DSG}-recs",
    "SolutionArn": f"{ARN}:solution/{DSG}-recs",
    "FilterName": f"{DSG}-seen",
    "FilterArn": f"{ARN}:filter/{DSG}-seen",
    "CampaignName": f"{DSG}-recs",
    "CampaignArn": f"{ARN}:campaign/{DSG}-recs",
    "PersonalizeRoleArn": f"arn:aws:iam::{ACCOUNT}:role/personalize",
    "BatchFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:recommend-batch",
}
# As Athena writes a query result: every field quoted, the header lower-cased.
INTERACTIONS = '"user_id","item_id","event_type","event_value","timestamp"\n' + "".join(
    f'"u{u}","i{(u + k) % 6}","view","","{1_700_000_000 + k}"\n' for u in range(4) for k in range(3)
)
ITEMS = "ITEM_ID,GENRES,CONTENT_TYPE,CREATION_TIMESTAMP\n" + "".join(
    f"i{n},Drama,video,1600000000\n" for n in range(6)
)
USERS = "USER_ID,AGE_GROUP,COUNTRY,SUBSCRIPTION_TIER\n" + "".join(f"u{u},25-34,US,free\n" for u in range(5))


def _input(**overrides: Any) -> dict[str, Any]:
    return {
        "num_results": 3,
        "wait_seconds": 0,
        "max_wait_seconds": 0,
        "max_polls": 10,
        "deploy_campaign": True,
        "min_tps": 2,
        **overrides,
    }


class RecsPersonalize:
    """Filter, batch inference (writes the output file from the input) and campaign fakes."""

    def __init__(self, harness: SfnHarness, base: FakePersonalize, *, campaign_exists: bool = False) -> None:
        self.harness, self.base = harness, base
        if campaign_exists:
            base.existing.add(SUBS["CampaignArn"])

    def install(self) -> None:
        b, fake = self.base, self.harness.fake
        fake("personalize", "CreateFilter", b._create("filter", SUBS["FilterArn"], "filterArn"))
        fake("personalize", "DescribeFilter", b._describe("filter", "filterArn", "filter"))
        fake("personalize", "CreateBatchInferenceJob", self.create_job)
        fake(
            "personalize",
            "DescribeBatchInferenceJob",
            b._describe("batch", "batchInferenceJobArn", "batchInferenceJob"),
        )
        fake("personalize", "CreateCampaign", b._create("campaign", SUBS["CampaignArn"], "campaignArn"))
        fake("personalize", "DescribeCampaign", self.describe_campaign)
        fake("personalize", "UpdateCampaign", lambda p: {"campaignArn": p["campaignArn"]})

    def create_job(self, params: dict[str, Any]) -> dict[str, Any]:
        s3 = self.harness.client("s3")
        in_path = params["jobInput"]["s3DataSource"]["path"].removeprefix(f"s3://{BUCKET}/")
        out_path = params["jobOutput"]["s3DataDestination"]["path"].removeprefix(f"s3://{BUCKET}/")
        users = [
            json.loads(line)["userId"]
            for line in s3.get_object(Bucket=BUCKET, Key=in_path)["Body"].read().decode().splitlines()
        ]
        body = "".join(
            json.dumps(
                {
                    "input": {"userId": u},
                    "output": {"recommendedItems": ["i5", "i4", "i3"], "scores": [0.5, 0.3, 0.2]},
                    "error": None,
                }
            )
            + "\n"
            for u in users
        )
        s3.put_object(Bucket=BUCKET, Key=out_path + in_path.rsplit("/", 1)[-1] + ".out", Body=body.encode())
        return {"batchInferenceJobArn": f"{ARN}:batch-inference-job/{params['jobName']}"}

    def describe_campaign(self, params: dict[str, Any]) -> dict[str, Any]:
        status = self.base._status(params["campaignArn"], "campaign")
        return (
            {
                "campaign": {
                    "campaignArn": params["campaignArn"],
                    "status": "ACTIVE",
                    "latestCampaignUpdate": {"status": status},
                }
            }
            if self.harness.called("personalize", "UpdateCampaign")
            else {"campaign": {"campaignArn": params["campaignArn"], "status": status}}
        )


def _setup(harness: SfnHarness) -> None:
    s3, ddb, events, sqs = (harness.client(n) for n in ("s3", "dynamodb", "events", "sqs"))
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="recommendations/exports/qe-1.csv", Body=INTERACTIONS.encode())
    s3.put_object(Bucket=BUCKET, Key=SUBS["ItemsKey"], Body=ITEMS.encode())
    s3.put_object(Bucket=BUCKET, Key=SUBS["UsersKey"], Body=USERS.encode())
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "variant", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "user_id", "AttributeType": "S"},
            {"AttributeName": "variant", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    events.create_event_bus(Name=BUS)
    harness.fake("lambda", "Invoke", lambda_fake({"recommend-batch": batch_handler}))
    del sqs


def _check_names(harness: SfnHarness) -> None:
    """Job names against botocore's model: pattern and max length (botocore itself checks neither)."""
    model = botocore.session.get_session().get_service_model("personalize")
    for op in ("CreateBatchInferenceJob", "CreateDatasetImportJob"):
        shape = model.operation_model(op).input_shape.members["jobName"]
        for call in harness.called("personalize", op):
            name = call["jobName"]
            assert len(name) <= shape.metadata["max"] == 63, name
            assert re.fullmatch(shape.metadata["pattern"], name), name


def _run(harness: SfnHarness, name: str, **overrides: Any) -> dict[str, Any]:
    with aws_backend_env(AUDIENCE_RECOMMENDATIONS_TABLE=TABLE):
        return run_execution(DEFINITION, _input(**overrides), substitutions=SUBS, name=name)


def _lists(harness: SfnHarness) -> dict[tuple[str, str], dict[str, Any]]:
    items = harness.client("dynamodb").scan(TableName=TABLE)["Items"]
    return {(i["user_id"]["S"], i["variant"]["S"]): i for i in items}


def test_workflow_trains_infers_loads_both_lists_and_deploys_a_campaign_after_waiting() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN every asynchronous step answering "in progress" before "done"
        _setup(harness)
        base = FakePersonalize()
        base.install(harness)
        RecsPersonalize(harness, base).install()
        fake_athena(harness, ["QUEUED", "RUNNING", "SUCCEEDED"])
        # WHEN the workflow runs with a campaign of 2 TPS
        result = _run(harness, "ok")
        # THEN it succeeds after waiting in every loop
        assert result["status"] == "SUCCEEDED", result.get("cause")
        states = entered_states(result)
        for step in (
            "interactions export",
            "interactions import",
            "solution version",
            "seen-items filter",
            "batch inference job",
            "campaign",
        ):
            assert states.count(f"Wait for {step}") == 2, step
        # AND the solution uses user-personalization-v2, the job the seen-items filter, the campaign the TPS
        assert harness.called("personalize", "CreateSolution")[0]["recipeArn"].endswith(
            "aws-user-personalization-v2"
        )
        assert (
            harness.called("personalize", "CreateFilter")[0]["filterExpression"]
            == 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")'
        )
        job = harness.called("personalize", "CreateBatchInferenceJob")[0]
        assert job["filterArn"] == SUBS["FilterArn"] and job["numResults"] == 3
        assert harness.called("personalize", "CreateCampaign")[0]["minProvisionedTPS"] == 2
        _check_names(harness)
        # AND Personalize imports the export rewritten as it wants it: header unquoted, schema names
        location = harness.called("personalize", "CreateDatasetImportJob")[0]["dataSource"]["dataLocation"]
        assert location == f"s3://{BUCKET}/recommendations/runs/ok/interactions.csv"
        prepared = harness.client("s3").get_object(
            Bucket=BUCKET, Key=location.removeprefix(f"s3://{BUCKET}/")
        )
        assert (
            prepared["Body"].read().decode().splitlines()[0]
            == "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP"
        )
        # AND both variants' lists are in the table; the user without interactions is a flagged cold start
        lists = _lists(harness)
        assert {(u, v) for u, v in lists} == {
            (f"u{n}", v) for n in range(5) for v in ("baseline", "personalize")
        }
        assert [x["S"] for x in lists[("u0", "personalize")]["items"]["L"]] == ["i5", "i4", "i3"]
        assert lists[("u4", "personalize")]["cold_start"]["BOOL"] is True
        assert lists[("u4", "baseline")]["cold_start"]["BOOL"] is True
        seen_u0 = {f"i{k % 6}" for k in range(3)}
        assert not {x["S"] for x in lists[("u0", "baseline")]["items"]["L"]} & seen_u0
        assert int(lists[("u0", "baseline")]["expires_at"]["N"]) > 0


def test_rerun_reuses_solution_and_filter_and_updates_the_existing_campaign() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN a solution, filter and campaign left by an earlier run
        _setup(harness)
        base = FakePersonalize(pending=[])
        base.existing |= {SUBS["SolutionArn"], SUBS["FilterArn"]}
        base.install(harness)
        RecsPersonalize(harness, base, campaign_exists=True).install()
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs again with more TPS
        result = _run(harness, "rerun", min_tps=5)
        # THEN it trains a new version and updates the campaign to it
        assert result["status"] == "SUCCEEDED", result.get("cause")
        assert not [s for s in entered_states(result) if s.startswith("Failed at")]
        [update] = harness.called("personalize", "UpdateCampaign")
        assert update["minProvisionedTPS"] == 5 and update["solutionVersionArn"].startswith(
            SUBS["SolutionArn"]
        )


def test_failed_training_is_reported_by_step_and_nothing_is_inferred() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN training that fails
        _setup(harness)
        base = FakePersonalize(
            final={"solution-version": "CREATE FAILED"}, reasons={"solution-version": "too few users"}
        )
        base.install(harness)
        RecsPersonalize(harness, base).install()
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs
        result = _run(harness, "fails")
        # THEN it fails naming the step and the reason; no batch inference job, no campaign
        assert result["status"] == "FAILED" and result["error"] == "StepFailed"
        assert (
            result["cause"].startswith("solution version: status CREATE FAILED")
            and "too few users" in result["cause"]
        )
        assert not harness.called("personalize", "CreateBatchInferenceJob")
        # AND the baseline's lists were already loaded (its batch ran before training)
        assert ("u0", "baseline") in _lists(harness)


def test_batch_inference_that_never_finishes_stops_at_the_poll_limit_without_a_campaign() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN a batch inference job that stays in progress
        _setup(harness)
        base = FakePersonalize(pending=[])
        base.install(harness)
        recs = RecsPersonalize(harness, base)
        recs.install()
        harness.fake(
            "personalize",
            "DescribeBatchInferenceJob",
            lambda p: {
                "batchInferenceJob": {
                    "batchInferenceJobArn": p["batchInferenceJobArn"],
                    "status": "IN PROGRESS",
                }
            },
        )
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs with at most 3 polls per step
        result = _run(harness, "slow", max_polls=3)
        # THEN it times out at that step after 3 waits, before loading or deploying anything
        assert result["status"] == "FAILED" and result["error"] == "StepTimedOut"
        assert result["cause"].startswith("batch inference job: still IN PROGRESS after 3 polls")
        assert entered_states(result).count("Wait for batch inference job") == 3
        assert not harness.called("personalize", "CreateCampaign")


def test_without_a_campaign_the_workflow_ends_after_loading_the_lists() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN no campaign wanted
        _setup(harness)
        base = FakePersonalize(pending=[])
        base.install(harness)
        RecsPersonalize(harness, base).install()
        fake_athena(harness, ["SUCCEEDED"])
        # WHEN the workflow runs
        result = _run(harness, "nocampaign", deploy_campaign=False)
        # THEN it succeeds without creating one
        assert result["status"] == "SUCCEEDED", result.get("cause")
        assert not harness.called("personalize", "CreateCampaign")
        assert "Load personalize lists" in entered_states(result)


def test_the_committed_definition_is_what_the_generator_writes() -> None:
    import subprocess
    import sys

    # GIVEN the generator
    # WHEN asked to check the committed file
    proc = subprocess.run(
        [sys.executable, "scripts/build_recommendations_asl.py", "--check"],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN it is current
    assert proc.returncode == 0, proc.stderr


ONLINE = (Path(__file__).parents[2] / "statemachines" / "recommendations_online.asl.json").read_text()
ONLINE_SUBS = {
    "EventBusName": BUS,
    "GlueDatabase": "audience_test",
    "AthenaWorkGroup": "primary",
    "Bucket": BUCKET,
    "OnlinePrefix": "personalize/recommendations/online/",
    "ReportPrefix": "personalize/recommendations/reports/ab/",
    "BatchFunctionArn": SUBS["BatchFunctionArn"],
}


def test_online_workflow_queries_athena_then_writes_the_ab_report() -> None:
    with sfn_harness(pascal_services=["personalize"]) as harness:
        # GIVEN the A/B query's result (one row per served list) as Athena writes it
        s3 = harness.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        harness.client("events").create_event_bus(Name=BUS)
        header = "recommendation_id,user_id,variant,served_at,cold_start,clicked,completed,watch_seconds\n"
        rows = "".join(
            f"r{v}{n},u{n % 30},{v},2026-11-20 12:00:{n % 60:02d}.000000,{'true' if n == 0 else 'false'},"
            f"{int(n % 4 < (3 if v == 'personalize' else 1))},0,{10.0 * (n % 3)}\n"
            for v in ("baseline", "personalize") for n in range(120)
        )  # fmt: skip
        s3.put_object(
            Bucket=BUCKET, Key="personalize/recommendations/online/qe-1.csv", Body=(header + rows).encode()
        )
        harness.fake("lambda", "Invoke", lambda_fake({"recommend-batch": batch_handler}))
        fake_athena(harness, ["RUNNING", "SUCCEEDED"])
        # WHEN the online workflow runs with a one-hour window
        with aws_backend_env(AUDIENCE_RECOMMENDATIONS_TABLE=TABLE):
            result = run_execution(
                ONLINE,
                {"window_seconds": 3600, "wait_seconds": 0, "max_wait_seconds": 0, "max_polls": 5},
                substitutions=ONLINE_SUBS,
                name="online",
            )
        # THEN the query got the window as its one parameter, and the report has both arms
        assert result["status"] == "SUCCEEDED", result.get("cause")
        [query] = harness.called("athena", "StartQueryExecution")
        assert query["ExecutionParameters"] == ["3600"] and "recommendations_served" in query["QueryString"]
        report = json.loads(
            s3.get_object(Bucket=BUCKET, Key="personalize/recommendations/reports/ab/latest.json")[
                "Body"
            ].read()
        )
        assert report["cold_start_lists_excluded"] == 2
        assert report["baseline"]["ctr"] == pytest.approx(30 / 119, abs=0.01)
        assert (
            report["personalize"]["ctr"] > report["baseline"]["ctr"]
            and report["tests"]["ctr_p_value"] < 0.001
        )


@pytest.mark.parametrize("definition", [DEFINITION, ONLINE], ids=["recommendations", "online"])
def test_every_aws_sdk_task_names_real_members_and_all_required_ones(definition: str) -> None:
    # GIVEN every aws-sdk Task of the definition and botocore's model of its operation
    session = botocore.session.get_session()
    tasks = [
        s for s in json.loads(definition)["States"].values()
        if s["Type"] == "Task" and s["Resource"].startswith("arn:aws:states:::aws-sdk:")
    ]  # fmt: skip
    assert tasks
    for task in tasks:
        service, action = task["Resource"].removeprefix("arn:aws:states:::aws-sdk:").split(":")
        model = session.get_service_model(service)
        op = model.operation_model(next(n for n in model.operation_names if n.lower() == action.lower()))
        members = {m.lower(): m for m in op.input_shape.members}
        given = {k.removesuffix(".$").lower() for k in task["Parameters"]}
        # THEN each parameter is a member (Step Functions matches them case-insensitively) ...
        assert given <= set(members), (action, given - set(members))
        # ... and every required member is given
        assert {r.lower() for r in op.input_shape.required_members} <= given, action
