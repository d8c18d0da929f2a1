"""Runs tools/sagemaker/launch_training.py in the SDK's environment with every AWS request stubbed.

Executed by ``tools/sagemaker/.venv/bin/python`` (never imported by the project's tests): each call the
SDK makes goes through a real botocore client (so parameters are validated against the service model),
and a ``before-call`` handler answers it instead of AWS. Prints the launch result and the calls as JSON.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import Any

import boto3  # noqa: TID251 - runs in the SDK environment, outside the platform code
from botocore.awsrequest import AWSResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "sagemaker"))
from launch_training import launch

NOW = datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)
ROLE = "arn:aws:iam::123456789012:role/sm"
calls: list[dict[str, Any]] = []
params_of: dict[str, dict[str, Any]] = {}


def capture(model: Any, params: dict[str, Any], **_: Any) -> None:
    params_of[model.name] = dict(params)


def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    op, params = model.name, params_of.get(model.name, {})
    calls.append({"op": op, "params": params})
    responses: dict[str, dict[str, Any]] = {
        "CreateTrainingJob": {
            "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{params.get('TrainingJobName')}"
        },
        "DescribeTrainingJob": {
            "TrainingJobName": str(params.get("TrainingJobName")),
            "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/x",
            "TrainingJobStatus": "Completed",
            "SecondaryStatus": "Completed",
            "AlgorithmSpecification": {"TrainingInputMode": "File"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "CreationTime": NOW,
            "ModelArtifacts": {"S3ModelArtifacts": "s3://models/out/x/output/model.tar.gz"},
        },
        "GetRole": {
            "Role": {
                "Path": "/",
                "RoleName": "sm",
                "RoleId": "AROAXXXXXXXXXXXXXXXXX",
                "Arn": ROLE,
                "CreateDate": NOW,
            }
        },
        "SimulatePrincipalPolicy": {"EvaluationResults": [], "IsTruncated": False},
        "ListBuckets": {"Buckets": [{"Name": "models", "CreationDate": NOW}], "Owner": {"ID": "x"}},
        "PutObject": {"ETag": '"x"'},
        "GetCallerIdentity": {"Account": "123456789012", "Arn": ROLE, "UserId": "x"},
    }
    if op not in responses:
        raise RuntimeError(f"unexpected AWS call {op}")
    return AWSResponse("https://stubbed", 200, {}, None), responses[op]


def main() -> None:
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    session.events.register("before-parameter-build.*.*", capture)
    session.events.register("before-call.*.*", answer)
    result = launch(
        boto_session=session,
        model=sys.argv[1],
        training_uri="s3://models/training-sets/churn/as_of=2026-11-29/training/",
        validation_uri="s3://models/training-sets/churn/as_of=2026-11-29/validation/",
        output_path="s3://models/training-output/adhoc",
        role=ROLE,
        image="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3",
        hyperparameters={"max-iter": "50"},
        wait=True,
    )
    print(json.dumps({"result": result, "calls": calls}, default=str))


if __name__ == "__main__":
    main()
