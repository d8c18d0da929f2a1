"""Writes statemachines/recommendations.asl.json (``--check``: exit 1 if the file is stale).

The recommendations workflow is built from the same pieces as the training workflow,
``scripts/asl_kit.py`` (the create-or-reuse step, the describe/back-off/wait loop
with a poll limit, the per-step failure hand-off, the Athena export of interactions) on the same
dataset group:

export interactions (Athena) -> rewrite them for Personalize (Lambda) -> import them -> the
baseline's batch job (Lambda) -> create or reuse an ``aws-user-personalization-v2`` solution ->
train a version -> create or reuse the seen-items filter -> batch inference job (filtered) -> load
its lists into the table (Lambda) -> optionally deploy a campaign whose minimum TPS is an input ->
publish.

Job names are ``recs-`` plus a UUID (41 characters, within Personalize's 63 and its pattern),
never the execution name, which can be 80 characters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT), str(ROOT / "src")]

import asl_kit as kit  # noqa: E402

from audience.activation.export import ATHENA_INTERACTIONS_SQL  # noqa: E402
from audience.recommend.online import ONLINE_SQL  # noqa: E402

OUT = ROOT / "statemachines" / "recommendations.asl.json"
OUT_ONLINE = ROOT / "statemachines" / "recommendations_online.asl.json"
PERSONALIZE = kit.PERSONALIZE
SOURCE = "audience.recommendations"
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
# Exclude every item the user interacted with (any event type): Personalize's filter syntax.
SEEN_FILTER = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")'
LAMBDA_RETRY = kit.LAMBDA_RETRY


def uuid_name(prefix: str) -> str:
    return f"States.Format('{prefix}-{{}}', States.UUID())"


def build() -> dict[str, Any]:
    kit.states.clear()
    states = kit.states
    execution = "$$.Execution.Name"
    kit.put_event(
        "Publish recommendations started",
        "Recommendations run started",
        {"execution.$": execution, "deploy_campaign.$": "$.deploy_campaign"},
        "Export interactions",
    )
    kit.athena_query(
        "Export interactions",
        "interactions export",
        ATHENA_INTERACTIONS_SQL,
        "s3://${Bucket}/${ExportPrefix}",
        "$.export",
        "Prepare interactions",
    )  # the kit's Athena retries on the start and on the polls (they retried Personalize's errors)
    # Athena's result quotes its header and lower-cases the names; Personalize's import wants
    # neither (the training workflow's "Prepare interactions", run by the batch function).
    kit.task(
        "Prepare interactions",
        "arn:aws:states:::lambda:invoke",
        {
            "FunctionName": "${BatchFunctionArn}",
            "Payload": {
                "action": "prepare",
                "source_key.$": "States.Format('${ExportPrefix}{}.csv', $.export.QueryExecutionId)",
                "target_key.$": "States.Format('${OutputPrefix}{}/interactions.csv', $$.Execution.Name)",
            },
        },
        "Import interactions",
        ResultSelector={"key.$": "$.Payload.key", "rows.$": "$.Payload.rows"},
        ResultPath="$.prepared",
        Retry=LAMBDA_RETRY,
    )
    kit.task(
        "Import interactions",
        PERSONALIZE + "createDatasetImportJob",
        {
            "JobName.$": uuid_name("recs-import"),
            "DatasetArn": "${InteractionsDatasetArn}",
            "DataSource": {"DataLocation.$": "States.Format('s3://${Bucket}/{}', $.prepared.key)"},
            "RoleArn": "${PersonalizeRoleArn}",
            "ImportMode": "FULL",
        },
        "Start polling interactions import",
        ResultSelector={"arn.$": "$.DatasetImportJobArn"},
        ResultPath="$.import",
    )
    kit.wait_loop(
        "interactions import",
        "describeDatasetImportJob",
        {"DatasetImportJobArn.$": "$.import.arn"},
        "$.DatasetImportJob.Status",
        "Run baseline batch",
    )
    kit.task(
        "Run baseline batch",
        "arn:aws:states:::lambda:invoke",
        {
            "FunctionName": "${BatchFunctionArn}",
            "Payload": {
                "action": "baseline",
                "interactions_key.$": "$.prepared.key",
                "items_key": "${ItemsKey}",
                "users_key": "${UsersKey}",
                "output_prefix.$": "States.Format('${OutputPrefix}{}/', $$.Execution.Name)",
                "num_results.$": "$.num_results",
            },
        },
        "Create solution",
        ResultSelector={
            "users.$": "$.Payload.users",
            "users_input_key.$": "$.Payload.users_input_key",
            "output_prefix.$": "$.Payload.output_prefix",
        },
        ResultPath="$.baseline",
        Retry=LAMBDA_RETRY,
    )
    kit.create_or_reuse(
        "Create solution",
        "createSolution",
        {"Name": "${SolutionName}", "DatasetGroupArn": "${DatasetGroupArn}", "RecipeArn": RECIPE},
        "Start polling solution",
    )
    kit.wait_loop(
        "solution",
        "describeSolution",
        {"SolutionArn": "${SolutionArn}"},
        "$.Solution.Status",
        "Create solution version",
    )
    kit.task(
        "Create solution version",
        PERSONALIZE + "createSolutionVersion",
        {"SolutionArn": "${SolutionArn}", "TrainingMode": "FULL"},
        "Start polling solution version",
        ResultSelector={"arn.$": "$.SolutionVersionArn"},
        ResultPath="$.solution_version",
    )
    kit.wait_loop(
        "solution version",
        "describeSolutionVersion",
        {"SolutionVersionArn.$": "$.solution_version.arn"},
        "$.SolutionVersion.Status",
        "Create seen-items filter",
    )
    kit.create_or_reuse(
        "Create seen-items filter",
        "createFilter",
        {"Name": "${FilterName}", "DatasetGroupArn": "${DatasetGroupArn}", "FilterExpression": SEEN_FILTER},
        "Start polling seen-items filter",
    )
    kit.wait_loop(
        "seen-items filter",
        "describeFilter",
        {"FilterArn": "${FilterArn}"},
        "$.Filter.Status",
        "Create batch inference job",
    )
    kit.task(
        "Create batch inference job",
        PERSONALIZE + "createBatchInferenceJob",
        {
            "JobName.$": uuid_name("recs"),
            "SolutionVersionArn.$": "$.solution_version.arn",
            "FilterArn": "${FilterArn}",
            "NumResults.$": "$.num_results",
            "JobInput": {
                "S3DataSource": {"Path.$": "States.Format('s3://${Bucket}/{}', $.baseline.users_input_key)"}
            },
            "JobOutput": {
                "S3DataDestination": {
                    "Path.$": "States.Format('s3://${Bucket}/{}personalize/', $.baseline.output_prefix)"
                }
            },
            "RoleArn": "${PersonalizeRoleArn}",
        },
        "Start polling batch inference job",
        ResultSelector={"arn.$": "$.BatchInferenceJobArn"},
        ResultPath="$.batch_inference_job",
    )
    kit.wait_loop(
        "batch inference job",
        "describeBatchInferenceJob",
        {"BatchInferenceJobArn.$": "$.batch_inference_job.arn"},
        "$.BatchInferenceJob.Status",
        "Load personalize lists",
    )
    kit.task(
        "Load personalize lists",
        "arn:aws:states:::lambda:invoke",
        {
            "FunctionName": "${BatchFunctionArn}",
            "Payload": {
                "action": "load",
                # The job writes <input file name>.out under the output path.
                "output_key.$": "States.Format('{}personalize/users.jsonl.out', $.baseline.output_prefix)",
                "cold_key.$": "States.Format('{}cold-start.json', $.baseline.output_prefix)",
            },
        },
        "Deploy campaign?",
        ResultSelector={"loaded.$": "$.Payload.loaded"},
        ResultPath="$.loaded",
        Retry=LAMBDA_RETRY,
    )
    states["Deploy campaign?"] = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.deploy_campaign", "BooleanEquals": True, "Next": "Create campaign"}],
        "Default": "Publish recommendations ready",
    }
    kit.task(
        "Create campaign",
        PERSONALIZE + "createCampaign",
        {
            "Name": "${CampaignName}",
            "SolutionVersionArn.$": "$.solution_version.arn",
            "MinProvisionedTPS.$": "$.min_tps",
        },
        "Start polling campaign",
        ResultPath=None,
        Catch=[
            {"ErrorEquals": kit.ALREADY_EXISTS, "ResultPath": None, "Next": "Update campaign"},
            *kit.catch_to("Create campaign"),
        ],
    )
    kit.wait_loop(
        "campaign",
        "describeCampaign",
        {"CampaignArn": "${CampaignArn}"},
        "$.Campaign.Status",
        "Publish recommendations ready",
    )
    kit.task(
        "Update campaign",
        PERSONALIZE + "updateCampaign",
        {
            "CampaignArn": "${CampaignArn}",
            "SolutionVersionArn.$": "$.solution_version.arn",
            "MinProvisionedTPS.$": "$.min_tps",
        },
        "Start polling campaign update",
        ResultPath=None,
    )
    kit.wait_loop(
        "campaign update",
        "describeCampaign",
        {"CampaignArn": "${CampaignArn}"},
        "$.Campaign.LatestCampaignUpdate.Status",
        "Publish recommendations ready",
    )
    kit.put_event(
        "Publish recommendations ready",
        "Recommendations ready",
        {
            "execution.$": execution,
            "solution_version_arn.$": "$.solution_version.arn",
            "batch_inference_job_arn.$": "$.batch_inference_job.arn",
            "output_prefix.$": "$.baseline.output_prefix",
            "users.$": "$.baseline.users",
            "personalize_lists.$": "$.loaded.loaded",
        },
        "Succeeded",
    )
    states["Succeeded"] = {"Type": "Succeed"}
    kit.failure_tail("Recommendations run failed", source=SOURCE)
    for state in states.values():  # this workflow's events come from its own source
        for entry in state.get("Parameters", {}).get("Entries", []):
            entry["Source"] = SOURCE
    return {
        "Comment": (
            "Recommendations: export interactions (Athena) into the segments' dataset group, run the "
            "baseline's batch job, train aws-user-personalization-v2, batch inference with the seen-items "
            "filter, load both lists into the table, optionally deploy a campaign (min TPS from the input). "
            "Every asynchronous step polls with exponential backoff and a poll limit; failures name the step. "
            "Generated by scripts/build_recommendations_asl.py."
        ),
        "StartAt": "Publish recommendations started",
        "TimeoutSeconds": 86400,
        "States": dict(states),
    }


def build_online() -> dict[str, Any]:
    """The online comparison on Athena (the same SQL DuckDB runs locally), then the analysis."""
    kit.states.clear()
    states = kit.states
    kit.athena_query(
        "Query the A/B",
        "A/B query",
        ONLINE_SQL,
        "s3://${Bucket}/${OnlinePrefix}",
        "$.query",
        "Analyse the A/B",
        execution_parameters="States.Array(States.Format('{}', $.window_seconds))",
    )
    kit.task(
        "Analyse the A/B",
        "arn:aws:states:::lambda:invoke",
        {
            "FunctionName": "${BatchFunctionArn}",
            "Payload": {
                "action": "online",
                "results_key.$": "States.Format('${OnlinePrefix}{}.csv', $.query.QueryExecutionId)",
                "report_prefix": "${ReportPrefix}",
            },
        },
        "Publish A/B updated",
        ResultSelector={"report_key.$": "$.Payload.report_key", "lists.$": "$.Payload.lists"},
        ResultPath="$.analysis",
        Retry=LAMBDA_RETRY,
    )
    kit.put_event(
        "Publish A/B updated",
        "Recommendations A/B updated",
        {
            "execution.$": "$$.Execution.Name",
            "report_key.$": "$.analysis.report_key",
            "lists.$": "$.analysis.lists",
        },
        "Succeeded",
    )
    states["Succeeded"] = {"Type": "Succeed"}
    kit.failure_tail("Recommendations A/B failed", source=SOURCE)
    for state in states.values():
        for entry in state.get("Parameters", {}).get("Entries", []):
            entry["Source"] = SOURCE
    return {
        "Comment": (
            "The recommendations A/B from the lake: the online SQL on Athena (click-through, watch time, "
            "completion per served list), then the analysis (intervals, tests) written as JSON to the lake. "
            "Generated by scripts/build_recommendations_asl.py."
        ),
        "StartAt": "Query the A/B",
        "TimeoutSeconds": 3600,
        "States": dict(states),
    }


def render() -> dict[Path, str]:
    return {
        OUT: json.dumps(build(), indent=2) + "\n",
        OUT_ONLINE: json.dumps(build_online(), indent=2) + "\n",
    }


def main(argv: list[str]) -> int:
    return kit.write_or_check(render(), argv, "scripts/build_recommendations_asl.py")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
