"""Writes statemachines/personalize_training.asl.json (``--check``: exit 1 if the file is stale).

The training workflow repeats one pattern for every asynchronous Personalize step (create, then
describe in a wait loop with exponential backoff, a poll limit and a failure branch) and one
failure hand-off per step (so the failure report names the step). Writing that by hand for a dozen
steps invites copy-paste slips; this script is the single source, and the Avro schemas it embeds
come from ``schemas/personalize.py``. ``tests/statemachines/test_statemachine_training.py`` checks the
committed file is what this script writes, and runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from audience.activation.export import ATHENA_INTERACTIONS_SQL  # noqa: E402
from schemas.personalize import avro_schemas  # noqa: E402

OUT = ROOT / "statemachines" / "personalize_training.asl.json"
PERSONALIZE = "arn:aws:states:::aws-sdk:personalize:"
TASK_RETRY = [
    {
        "ErrorEquals": ["Personalize.ThrottlingException", "Personalize.LimitExceededException"],
        "IntervalSeconds": 5,
        "MaxAttempts": 4,
        "BackoffRate": 2.0,
        "JitterStrategy": "FULL",
    }
]
# Athena's throttling and transient errors, as Step Functions names them for aws-sdk:athena tasks.
ATHENA_RETRY = [
    {
        "ErrorEquals": ["Athena.TooManyRequestsException", "Athena.InternalServerException"],
        "IntervalSeconds": 5,
        "MaxAttempts": 4,
        "BackoffRate": 2.0,
        "JitterStrategy": "FULL",
    }
]
LAMBDA_RETRY = [
    {
        "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.TooManyRequestsException",
            "Lambda.SdkClientException",
        ],
        "IntervalSeconds": 2,
        "MaxAttempts": 3,
        "BackoffRate": 2.0,
    }
]
ALREADY_EXISTS = ["Personalize.ResourceAlreadyExistsException"]
# Job names (Personalize: at most 63 characters, [a-zA-Z0-9][a-zA-Z0-9-_]*) are a short prefix and
# this run's id: the MD5 of the execution's ARN, 32 hex digits. The execution's name alone does not
# fit (an EventBridge-started execution's generated name is about 73 characters, and names may be 80).
RUN_ID = "$.run.id"
FAILED_STATUSES = ("CREATE FAILED", "CREATE STOPPED")

states: dict[str, Any] = {}


def catch_to(step: str) -> list[dict[str, Any]]:
    """Any error of ``step`` goes to its failure hand-off, which records the step's name."""
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"Failed at {step}"}]


def failure_handoff(step: str) -> None:
    states[f"Failed at {step}"] = {
        "Type": "Pass",
        "Parameters": {
            "step": step,
            "error": "StepError",
            "cause.$": f"States.Format('{step}: {{}}: {{}}', $.error.Error, $.error.Cause)",
        },
        "ResultPath": "$.failure",
        "Next": "Publish failure",
    }


def task(name: str, resource: str, parameters: dict[str, Any], next_state: str, **extra: Any) -> None:
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, "Parameters": parameters}
    state.update(extra)
    state.setdefault("Retry", TASK_RETRY)
    state.setdefault("Catch", catch_to(name))
    state["Next"] = next_state
    states[name] = state
    failure_handoff(name)


def create_or_reuse(name: str, operation: str, parameters: dict[str, Any], next_state: str) -> None:
    """A create call whose ResourceAlreadyExists means "reuse it" (names, hence ARNs, are fixed)."""
    task(
        name,
        PERSONALIZE + operation,
        parameters,
        next_state,
        ResultPath=None,
        Catch=[{"ErrorEquals": ALREADY_EXISTS, "ResultPath": None, "Next": next_state}, *catch_to(name)],
    )


def wait_loop(
    step: str,
    describe: str,
    parameters: dict[str, Any],
    status_path: str,
    next_state: str,
    *,
    active: tuple[str, ...] = ("ACTIVE",),
    failed: tuple[str, ...] = FAILED_STATUSES,
    service: str = PERSONALIZE,
    retry: list[dict[str, Any]] = TASK_RETRY,
) -> str:
    """Reset the poll counter, then describe / check / back off / wait until done, failed or out of polls."""
    start, check, check_choice, back, cap, wait = (
        f"Start polling {step}",
        f"Describe {step}",
        f"{step}: done?",
        f"Back off {step}",
        f"{step}: wait too long?",
        f"Wait for {step}",
    )
    states[start] = {
        "Type": "Pass",
        "Parameters": {"count": 0, "wait.$": "$.wait_seconds"},
        "ResultPath": "$.poll",
        "Next": check,
    }
    # Only paths that are always present: a missing path fails the state (FailureReason is not).
    selector = {"status.$": status_path, "detail.$": status_path.rsplit(".", 1)[0]}
    task(
        check,
        service + describe,
        parameters,
        check_choice,
        ResultSelector=selector,
        ResultPath="$.described",
        Retry=retry,
    )
    states[check_choice] = {
        "Type": "Choice",
        "Choices": [
            *({"Variable": "$.described.status", "StringEquals": s, "Next": next_state} for s in active),
            *(
                {"Variable": "$.described.status", "StringEquals": s, "Next": f"{step} failed"}
                for s in failed
            ),
            {
                "Variable": "$.poll.count",
                "NumericGreaterThanEqualsPath": "$.max_polls",
                "Next": f"{step} timed out",
            },
        ],
        "Default": back,
    }
    states[f"{step} failed"] = {
        "Type": "Pass",
        "Parameters": {
            "step": step,
            "error": "StepFailed",
            "cause.$": f"States.Format('{step}: status {{}}: {{}}', $.described.status, States.JsonToString($.described.detail))",
        },
        "ResultPath": "$.failure",
        "Next": "Publish failure",
    }
    states[f"{step} timed out"] = {
        "Type": "Pass",
        "Parameters": {
            "step": step,
            "error": "StepTimedOut",
            "cause.$": f"States.Format('{step}: still {{}} after {{}} polls', $.described.status, $.poll.count)",
        },
        "ResultPath": "$.failure",
        "Next": "Publish failure",
    }
    states[back] = {
        "Type": "Pass",
        "Parameters": {
            "count.$": "States.MathAdd($.poll.count, 1)",
            "wait.$": "States.MathAdd($.poll.wait, $.poll.wait)",
            "max.$": "$.max_wait_seconds",
        },
        "ResultPath": "$.poll",
        "Next": cap,
    }
    states[cap] = {
        "Type": "Choice",
        "Choices": [
            {
                "Variable": "$.poll.wait",
                "NumericGreaterThanPath": "$.poll.max",
                "Next": f"Cap wait for {step}",
            }
        ],
        "Default": wait,
    }
    states[f"Cap wait for {step}"] = {
        "Type": "Pass",
        "Parameters": {"count.$": "$.poll.count", "wait.$": "$.poll.max"},
        "ResultPath": "$.poll",
        "Next": wait,
    }
    states[wait] = {"Type": "Wait", "SecondsPath": "$.poll.wait", "Next": check}
    return start


def put_event(
    name: str, detail_type: str, detail: dict[str, Any], next_state: str, *, catch: bool = True
) -> None:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {
            "Entries": [
                {
                    "EventBusName": "${EventBusName}",
                    "Source": "audience.personalize",
                    "DetailType": detail_type,
                    "Detail": detail,
                }
            ]
        },
        "ResultPath": None,
        "Retry": [
            {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
        ],
        "Next": next_state,
    }
    if catch:
        state["Catch"] = catch_to(name)
        failure_handoff(name)
    states[name] = state


def build() -> dict[str, Any]:
    states.clear()
    schemas = avro_schemas()
    execution = "$$.Execution.Name"
    states["Name this run"] = {
        "Type": "Pass",
        "Parameters": {"id.$": "States.Hash($$.Execution.Id, 'MD5')"},
        "ResultPath": "$.run",
        "Next": "Publish training started",
    }
    put_event(
        "Publish training started",
        "Personalize training started",
        {"execution.$": execution, "run.$": RUN_ID, "dataset_group": "${DatasetGroupName}"},
        "Validate queries",
    )
    task(
        "Validate queries",
        "arn:aws:states:::lambda:invoke",
        {
            "FunctionName": "${ValidateQueriesFunctionArn}",
            "Payload": {"queries_key.$": "$.queries_key", "num_results.$": "$.num_results"},
        },
        "Export interactions",
        ResultSelector={"count.$": "$.Payload.count"},
        ResultPath="$.queries",
        Retry=LAMBDA_RETRY,
    )
    task(
        "Export interactions",
        "arn:aws:states:::aws-sdk:athena:startQueryExecution",
        {
            "QueryString": ATHENA_INTERACTIONS_SQL,
            "QueryExecutionContext": {"Database": "${GlueDatabase}"},
            "WorkGroup": "${AthenaWorkGroup}",
            "ResultConfiguration": {"OutputLocation": "${ExportLocation}"},
        },
        "PLACEHOLDER",
        ResultPath="$.export",
        Retry=ATHENA_RETRY,
    )
    states["Export interactions"]["Next"] = wait_loop(
        "interactions export",
        "getQueryExecution",
        {"QueryExecutionId.$": "$.export.QueryExecutionId"},
        "$.QueryExecution.Status.State",
        "Prepare interactions",
        active=("SUCCEEDED",),
        failed=("FAILED", "CANCELLED"),
        service="arn:aws:states:::aws-sdk:athena:",
        retry=ATHENA_RETRY,
    )
    # Athena's result quotes its header and lower-cases the names; Personalize wants neither.
    task(
        "Prepare interactions",
        "arn:aws:states:::lambda:invoke",
        {
            "FunctionName": "${PrepareInteractionsFunctionArn}",
            "Payload": {
                "source_key.$": "States.Format('${ExportPrefix}{}.csv', $.export.QueryExecutionId)",
                "target_key.$": "States.Format('${ExportPrefix}prepared/{}.csv', $.export.QueryExecutionId)",
            },
        },
        "Create dataset group",
        ResultSelector={"location.$": "$.Payload.location", "rows.$": "$.Payload.rows"},
        ResultPath="$.prepared",
        Retry=LAMBDA_RETRY,
    )
    create_or_reuse(
        "Create dataset group",
        "createDatasetGroup",
        {"Name": "${DatasetGroupName}"},
        "Start polling dataset group",
    )
    wait_loop(
        "dataset group",
        "describeDatasetGroup",
        {"DatasetGroupArn": "${DatasetGroupArn}"},
        "$.DatasetGroup.Status",
        "Create interactions schema",
    )
    datasets = [
        ("interactions", "INTERACTIONS", "$.prepared.location"),
        ("items", "ITEMS", "${TrainingDataLocation}items.csv"),
        ("users", "USERS", "${TrainingDataLocation}users.csv"),
    ]
    for i, (label, dataset_type, location) in enumerate(datasets):
        nxt = f"Create {datasets[i + 1][0]} schema" if i + 1 < len(datasets) else "Create solution"
        create_or_reuse(
            f"Create {label} schema",
            "createSchema",
            {
                "Name": f"${{DatasetGroupName}}-{label}",
                "Schema": json.dumps(schemas[dataset_type], separators=(",", ":")),
            },
            f"Create {label} dataset",
        )
        create_or_reuse(
            f"Create {label} dataset",
            "createDataset",
            {
                "Name": f"${{DatasetGroupName}}-{label}",
                "DatasetGroupArn": "${DatasetGroupArn}",
                "DatasetType": dataset_type,
                "SchemaArn": f"${{SchemaArnPrefix}}${{DatasetGroupName}}-{label}",
            },
            f"Start polling {label} dataset",
        )
        wait_loop(
            f"{label} dataset",
            "describeDataset",
            {"DatasetArn": f"${{DatasetArnPrefix}}{dataset_type}"},
            "$.Dataset.Status",
            f"Import {label}",
        )
        location_param = (
            {"DataLocation.$": location} if location.startswith("$.") else {"DataLocation": location}
        )
        task(
            f"Import {label}",
            PERSONALIZE + "createDatasetImportJob",
            {
                "JobName.$": f"States.Format('{label}-{{}}', {RUN_ID})",
                "DatasetArn": f"${{DatasetArnPrefix}}{dataset_type}",
                "DataSource": location_param,
                "RoleArn": "${PersonalizeRoleArn}",
                "ImportMode": "FULL",
            },
            f"Start polling {label} import",
            ResultSelector={"arn.$": "$.DatasetImportJobArn"},
            ResultPath=f"$.imports.{label}",
        )
        wait_loop(
            f"{label} import",
            "describeDatasetImportJob",
            {"DatasetImportJobArn.$": f"$.imports.{label}.arn"},
            "$.DatasetImportJob.Status",
            nxt,
        )
    create_or_reuse(
        "Create solution",
        "createSolution",
        {
            "Name": "${SolutionName}",
            "DatasetGroupArn": "${DatasetGroupArn}",
            "RecipeArn": "arn:aws:personalize:::recipe/aws-item-attribute-affinity",
            # The API's default is true: Personalize would retrain (billed) every 7 days on top of
            # this workflow's own schedule.
            "PerformAutoTraining": False,
        },
        "Start polling solution",
    )
    wait_loop(
        "solution",
        "describeSolution",
        {"SolutionArn": "${SolutionArn}"},
        "$.Solution.Status",
        "Create solution version",
    )
    task(
        "Create solution version",
        PERSONALIZE + "createSolutionVersion",
        {"SolutionArn": "${SolutionArn}", "TrainingMode": "FULL"},
        "Start polling solution version",
        ResultSelector={"arn.$": "$.SolutionVersionArn"},
        ResultPath="$.solution_version",
    )
    wait_loop(
        "solution version",
        "describeSolutionVersion",
        {"SolutionVersionArn.$": "$.solution_version.arn"},
        "$.SolutionVersion.Status",
        "Publish solution version active",
    )
    put_event(
        "Publish solution version active",
        "Personalize solution version active",
        {"execution.$": execution, "solution_version_arn.$": "$.solution_version.arn"},
        "Create batch segment job",
    )
    task(
        "Create batch segment job",
        PERSONALIZE + "createBatchSegmentJob",
        {
            "JobName.$": f"States.Format('segments-{{}}', {RUN_ID})",
            "SolutionVersionArn.$": "$.solution_version.arn",
            "NumResults.$": "$.num_results",
            "JobInput": {"S3DataSource": {"Path.$": "States.Format('s3://${Bucket}/{}', $.queries_key)"}},
            "JobOutput": {
                "S3DataDestination": {
                    "Path.$": f"States.Format('s3://${{Bucket}}/${{SegmentOutputPrefix}}{{}}/', {execution})"
                }
            },
            "RoleArn": "${PersonalizeRoleArn}",
        },
        "Start polling batch segment job",
        ResultSelector={"arn.$": "$.BatchSegmentJobArn"},
        ResultPath="$.batch_segment_job",
    )
    wait_loop(
        "batch segment job",
        "describeBatchSegmentJob",
        {"BatchSegmentJobArn.$": "$.batch_segment_job.arn"},
        "$.BatchSegmentJob.Status",
        "Publish batch segment job finished",
    )
    put_event(
        "Publish batch segment job finished",
        "Batch segment job finished",
        {
            "execution.$": execution,
            "job_name.$": f"States.Format('segments-{{}}', {RUN_ID})",
            "batch_segment_job_arn.$": "$.batch_segment_job.arn",
            "solution_version_arn.$": "$.solution_version.arn",
            "bucket": "${Bucket}",
            # The job writes <input file name>.out under the output path.
            "output_key.$": f"States.Format('${{SegmentOutputPrefix}}{{}}/{{}}.out', {execution}, $.queries_file)",
        },
        "Notify success",
    )
    states["Notify success"] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {
            "TopicArn": "${TopicArn}",
            "Subject": "Personalize segments ready",
            "Message.$": (
                "States.Format('Training run {} finished: solution version {}, batch segment job {} "
                "({} queries). Post-processing starts from the event bus.', "
                f"{execution}, $.solution_version.arn, $.batch_segment_job.arn, $.queries.count)"
            ),
        },
        "ResultPath": None,
        "Retry": [
            {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
        ],
        "Catch": catch_to("Notify success"),
        "Next": "Succeeded",
    }
    failure_handoff("Notify success")
    states["Succeeded"] = {"Type": "Succeed"}
    # Failure path: publish and notify best effort (their own failure must not hide the first one).
    states["Publish failure"] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {
            "Entries": [
                {
                    "EventBusName": "${EventBusName}",
                    "Source": "audience.personalize",
                    "DetailType": "Personalize training failed",
                    "Detail": {"execution.$": execution, "failure.$": "$.failure"},
                }
            ]
        },
        "ResultPath": None,
        "Retry": [
            {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Notify failure"}],
        "Next": "Notify failure",
    }
    states["Notify failure"] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {
            "TopicArn": "${TopicArn}",
            "Subject": "Personalize training failed",
            "Message.$": f"States.Format('Training run {{}} failed at step {{}}: {{}}: {{}}', {execution}, $.failure.step, $.failure.error, $.failure.cause)",
        },
        "ResultPath": None,
        "Retry": [
            {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Failed"}],
        "Next": "Failed",
    }
    states["Failed"] = {
        "Type": "Fail",
        "ErrorPath": "$.failure.error",
        "CausePath": "$.failure.cause",
    }
    return {
        "Comment": (
            "Personalize user segmentation: export interactions (Athena), create or reuse the dataset "
            "group, schemas and datasets, import, train aws-item-attribute-affinity, run a batch segment "
            "job for the validated queries. Every asynchronous step polls with exponential backoff and a "
            "poll limit; failures name the step. Generated by scripts/build_personalize_asl.py."
        ),
        "StartAt": "Name this run",
        "TimeoutSeconds": 86400,
        "States": dict(states),
    }


def render() -> str:
    return json.dumps(build(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(
                f"{OUT.relative_to(ROOT)} is stale: run python scripts/build_personalize_asl.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
