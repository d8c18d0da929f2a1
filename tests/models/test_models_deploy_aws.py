"""The ad-hoc deployment's SageMaker calls (SageMakerDeployer), each request checked with Stubber.

moto's SageMaker accepts endpoint calls loosely, so every request here is a Stubber expectation:
botocore validates it against the service model (names, required members, types), and the
conformance suite's recorder (tests/boto3_calls.py) checks lengths, patterns and enums too.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from audience.core.aws import client_config, new_client
from audience.models.adapters.aws.deploy import SageMakerDeployer
from audience.models.ports import EndpointSpec

JOB = "churn-adhoc-20261130-0930"
ARN = "arn:aws:sagemaker:eu-west-1:123456789012"
IMAGE = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"
ROLE = "arn:aws:iam::123456789012:role/audience-sagemaker"
ARTEFACT = f"s3://audience-models/adhoc/{JOB}/output/model.tar.gz"
SPEC = EndpointSpec(
    "audience-prod-churn", "s3://audience-models/sagemaker/sourcedir.tar.gz", "eu-west-1", "ml.m5.large", 2
)


def _sagemaker() -> tuple[Any, Stubber]:
    client = new_client("sagemaker", client_config(attempts=1))
    return client, Stubber(client)


def _expect_model_and_config(stub: Stubber, endpoints: list[dict[str, Any]]) -> None:
    stub.add_response("describe_training_job", _training_job_described(), {"TrainingJobName": JOB})
    stub.add_response(
        "create_model",
        {"ModelArn": f"{ARN}:model/{JOB}"},
        {
            "ModelName": JOB,
            "ExecutionRoleArn": ROLE,
            "PrimaryContainer": {
                "Image": IMAGE,
                "ModelDataUrl": ARTEFACT,
                "Environment": {
                    "SAGEMAKER_PROGRAM": "inference.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": SPEC.source_dir_uri,
                    "SAGEMAKER_REGION": "eu-west-1",
                    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                },
            },
        },
    )
    stub.add_response(
        "create_endpoint_config",
        {"EndpointConfigArn": f"{ARN}:endpoint-config/{JOB}"},
        {
            "EndpointConfigName": JOB,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": JOB,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 2,
                }
            ],
        },
    )
    stub.add_response(
        "list_endpoints", {"Endpoints": endpoints}, {"NameContains": SPEC.endpoint, "MaxResults": 100}
    )


def _endpoint(name: str) -> dict[str, Any]:
    return {
        "EndpointName": name,
        "EndpointArn": f"{ARN}:endpoint/{name}",
        "CreationTime": "2026-11-01T00:00:00Z",
        "LastModifiedTime": "2026-11-01T00:00:00Z",
        "EndpointStatus": "InService",
    }


def test_deployer_creates_the_endpoint_when_none_has_its_name() -> None:
    # GIVEN a finished job and only an endpoint whose name merely contains the wanted one
    client, stub = _sagemaker()
    _expect_model_and_config(stub, [_endpoint(f"{SPEC.endpoint}-old")])
    stub.add_response(
        "create_endpoint",
        {"EndpointArn": f"{ARN}:endpoint/{SPEC.endpoint}"},
        {"EndpointName": SPEC.endpoint, "EndpointConfigName": JOB},
    )
    # WHEN the job is deployed
    with stub:
        name = SageMakerDeployer(client).deploy(
            job={"training_job_name": JOB}, spec=SPEC, role_arn=ROLE, image_uri=IMAGE
        )
    # THEN the model and config are named after the job and a new endpoint serves them
    assert name == SPEC.endpoint
    stub.assert_no_pending_responses()


def test_deployer_updates_the_endpoint_in_service() -> None:
    # GIVEN a finished job and the stack's endpoint already in service
    client, stub = _sagemaker()
    _expect_model_and_config(stub, [_endpoint(f"{SPEC.endpoint}-old"), _endpoint(SPEC.endpoint)])
    stub.add_response(
        "update_endpoint",
        {"EndpointArn": f"{ARN}:endpoint/{SPEC.endpoint}"},
        {"EndpointName": SPEC.endpoint, "EndpointConfigName": JOB},
    )
    # WHEN the job is deployed
    with stub:
        SageMakerDeployer(client).deploy(
            job={"training_job_name": JOB}, spec=SPEC, role_arn=ROLE, image_uri=IMAGE
        )
    # THEN the endpoint is moved to the new config (blue/green by SageMaker), not created again
    stub.assert_no_pending_responses()


def test_deployer_stops_at_the_first_refused_step() -> None:
    # GIVEN SageMaker refusing the model (for example, the role cannot be assumed)
    client, stub = _sagemaker()
    stub.add_response("describe_training_job", _training_job_described(), {"TrainingJobName": JOB})
    stub.add_client_error("create_model", "ValidationException", "Could not assume role", 400)
    # WHEN the job is deployed
    # THEN the error reaches the caller and no endpoint call is made
    with stub, pytest.raises(ClientError, match="Could not assume role"):
        SageMakerDeployer(client).deploy(
            job={"training_job_name": JOB}, spec=SPEC, role_arn=ROLE, image_uri=IMAGE
        )
    stub.assert_no_pending_responses()


def _training_job_described() -> dict[str, Any]:
    return {
        "TrainingJobName": JOB,
        "TrainingJobArn": f"{ARN}:training-job/{JOB}",
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": "2026-11-30T09:30:00Z",
        "ModelArtifacts": {"S3ModelArtifacts": ARTEFACT},
    }
