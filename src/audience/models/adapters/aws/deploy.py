"""The weekly state machine's deployment steps, for an ad-hoc job that passed the same gate.

Mirrors ``statemachines/retrain_models.asl.json`` (Create model, Create instance endpoint config,
Find endpoint, Create/Update endpoint): the same serving container, ``inference.py`` from the same
source folder, names taken from the training job.
"""

from __future__ import annotations

from typing import Any

from audience.core.aws import client_config, new_client
from audience.models.ports import EndpointSpec


class SageMakerDeployer:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("sagemaker", client_config(attempts=5, read_timeout=30.0))
        return self._client

    def deploy(self, *, job: dict[str, Any], spec: EndpointSpec, role_arn: str, image_uri: str) -> str:
        name = job["training_job_name"]
        described = self.client.describe_training_job(TrainingJobName=name)
        self.client.create_model(
            ModelName=name,
            ExecutionRoleArn=role_arn,
            PrimaryContainer={
                "Image": image_uri,
                "ModelDataUrl": described["ModelArtifacts"]["S3ModelArtifacts"],
                "Environment": {
                    "SAGEMAKER_PROGRAM": "inference.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": spec.source_dir_uri,
                    "SAGEMAKER_REGION": spec.region,
                    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                },
            },
        )
        self.client.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": name,
                    "InstanceType": spec.instance_type,
                    "InitialInstanceCount": spec.instance_count,
                }
            ],
        )
        found = self.client.list_endpoints(NameContains=spec.endpoint, MaxResults=100)["Endpoints"]
        if any(e["EndpointName"] == spec.endpoint for e in found):
            self.client.update_endpoint(EndpointName=spec.endpoint, EndpointConfigName=name)
        else:
            self.client.create_endpoint(EndpointName=spec.endpoint, EndpointConfigName=name)
        return spec.endpoint
