"""Which :class:`ModelPredictor` serves this process: the endpoints in AWS, the handlers in-process locally."""

from __future__ import annotations

from audience.core.settings import Settings
from audience.models.ports import ModelPredictor
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
