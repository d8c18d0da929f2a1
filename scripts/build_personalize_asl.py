"""Writes statemachines/personalize_training.asl.json (``--check``: exit 1 if the file is stale).

The training workflow repeats one pattern for every asynchronous Personalize step (create, then
describe in a wait loop with exponential backoff, a poll limit and a failure branch) and one
failure hand-off per step (so the failure report names the step); the pieces are in
``scripts/asl_kit.py``, shared with the recommendations workflows. This script is the single
source of the file, and the Avro schemas it embeds
come from ``schemas/personalize.py``. ``tests/statemachines/test_statemachine_training.py`` checks the
committed file is what this script writes, and runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT), str(ROOT / "src")]

from asl_kit import (  # noqa: E402
    LAMBDA_RETRY,
    PERSONALIZE,
    athena_query,
    catch_to,
    create_or_reuse,
    failure_handoff,
    failure_tail,
    put_event,
    states,
    task,
    wait_loop,
    write_or_check,
)

from audience.activation.export import ATHENA_INTERACTIONS_SQL  # noqa: E402
from schemas.personalize import avro_schemas  # noqa: E402

OUT = ROOT / "statemachines" / "personalize_training.asl.json"
# Job names (Personalize: at most 63 characters, [a-zA-Z0-9][a-zA-Z0-9-_]*) are a short prefix and
# this run's id: the MD5 of the execution's ARN, 32 hex digits. The execution's name alone does not
# fit (an EventBridge-started execution's generated name is about 73 characters, and names may be 80).
RUN_ID = "$.run.id"


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
    athena_query(
        "Export interactions",
        "interactions export",
        ATHENA_INTERACTIONS_SQL,
        "${ExportLocation}",
        "$.export",
        "Prepare interactions",
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
    failure_tail(
        "Personalize training failed",
        source="audience.personalize",
        notify_subject="Personalize training failed",
    )
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
    return write_or_check({OUT: render()}, argv, "scripts/build_personalize_asl.py")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
