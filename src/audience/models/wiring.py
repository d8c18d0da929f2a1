"""Which :class:`ModelPredictor` serves this process: the endpoints in AWS, the handlers in-process
locally; and the local training runner (in AWS the retraining workflow trains on SageMaker)."""

from __future__ import annotations

from audience.core.objectstore.ports import ObjectStore
from audience.core.settings import Settings
from audience.models.adapters.local import training as local_training
from audience.models.ports import Deployer, EndpointSpec, ModelPredictor
from audience.models.registry import LocalRegistry

__all__ = ["local_training", "predictor"]
"""``local_training``: the local training runner (the SageMaker entry points as processes, with SM_*
variables); in AWS the retraining workflow trains on SageMaker."""


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

    return InProcessPredictor(LocalRegistry(settings.models_dir), settings.project_root / "sagemaker")


def cloud_deployment(
    settings: Settings, endpoint: str, region: str
) -> tuple[ObjectStore, str, Deployer, EndpointSpec]:
    """What ``models train --cloud --deploy`` needs: the model bucket, the deployer, the endpoint."""
    from audience.core.objectstore.wiring import bucket_store
    from audience.models.adapters.aws.deploy import SageMakerDeployer

    if not settings.model_bucket:
        raise RuntimeError("AUDIENCE_MODEL_BUCKET is not set")
    spec = EndpointSpec(endpoint, f"s3://{settings.model_bucket}/sagemaker/sourcedir.tar.gz", region)
    return bucket_store(settings.model_bucket), settings.model_bucket, SageMakerDeployer(), spec
