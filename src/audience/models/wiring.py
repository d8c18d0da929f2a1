"""Which :class:`ModelPredictor` serves this process: the endpoints in AWS, the handlers in-process locally."""

from __future__ import annotations

from audience.core.objectstore.ports import ObjectStore
from audience.core.settings import Settings
from audience.models.ports import Deployer, EndpointSpec, ModelPredictor
from audience.models.registry import LocalRegistry


def predictor(settings: Settings) -> ModelPredictor:
    if settings.backend == "aws":
        from audience.models.adapters.aws.sagemaker_runtime import EndpointPredictor

        endpoints = {
            name: value
            for name, value in (
                ("engagement", settings.engagement_endpoint),
                ("churn", settings.churn_endpoint),
            )
            if value
        }
        return EndpointPredictor(endpoints)
    from audience.models.adapters.local.predictor import InProcessPredictor

    return InProcessPredictor(LocalRegistry(settings.models_dir))


def cloud_deployment(
    settings: Settings, endpoint: str, region: str
) -> tuple[ObjectStore, str, Deployer, EndpointSpec]:
    """What ``models train --cloud --deploy`` needs: the model bucket, the deployer, the endpoint."""
    from audience.core.objectstore.adapters.aws import S3ObjectStore
    from audience.models.adapters.aws.deploy import SageMakerDeployer

    if not settings.model_bucket:
        raise RuntimeError("AUDIENCE_MODEL_BUCKET is not set")
    spec = EndpointSpec(endpoint, f"s3://{settings.model_bucket}/sagemaker/sourcedir.tar.gz", region)
    return S3ObjectStore(settings.model_bucket), settings.model_bucket, SageMakerDeployer(), spec
