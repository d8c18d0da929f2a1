"""Ad-hoc cloud training for data scientists, through the SageMaker Python SDK (V3, ``ModelTrainer``).

``audience models train --cloud`` runs this script with the interpreter of ``tools/sagemaker/.venv``
(``make setup-sagemaker``): the SDK pins ``rich<15``, which the project's own environment excludes,
and it is never shipped to Lambda. It launches the very script-mode entry point the weekly state
machine runs (``sagemaker/train_<model>.py``, the source folder uploaded by the SDK) in the same
scikit-learn container, on the training and validation channels the ``training_sets`` Glue job wrote,
and prints one JSON object: the job's name, status and output path. The gate and the deployment
are the state machine's own code, run by the caller (``audience.models.cloud``).

Only the standard library and the SDK are imported here, so this file runs in the SDK's environment.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "sagemaker"
MODELS = ("engagement", "churn")


def launch(
    *,
    boto_session: Any,
    model: str,
    training_uri: str,
    validation_uri: str,
    output_path: str,
    role: str,
    image: str,
    instance_type: str = "ml.m5.large",
    hyperparameters: dict[str, str] | None = None,
    wait: bool = True,
    source_dir: Path = SOURCE_DIR,
) -> dict[str, Any]:
    """Start (and with ``wait``, follow) one training job; returns what the gate needs."""
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.shapes import OutputDataConfig, StoppingCondition
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, SourceCode

    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}")
    bucket = output_path.removeprefix("s3://").split("/", 1)[0]
    session = Session(boto_session=boto_session, default_bucket=bucket)
    trainer = ModelTrainer(
        sagemaker_session=session,
        role=role,
        base_job_name=f"audience-{model}-adhoc",
        training_image=image,
        source_code=SourceCode(
            source_dir=str(source_dir),
            entry_script=f"train_{model}.py",
            ignore_patterns=["__pycache__", "*.pyc", "README.md"],
        ),
        compute=Compute(instance_type=instance_type, instance_count=1, volume_size_in_gb=10),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=3600),
        output_data_config=OutputDataConfig(s3_output_path=output_path),
        hyperparameters=dict(hyperparameters or {}),
    )
    trainer.train(
        input_data_config=[
            InputData(channel_name="training", data_source=training_uri, content_type="text/csv"),
            InputData(channel_name="validation", data_source=validation_uri, content_type="text/csv"),
        ],
        wait=wait,
        logs=False,
    )
    job = trainer._latest_training_job
    return {
        "model": model,
        "training_job_name": str(job.training_job_name),
        "status": str(getattr(job, "training_job_status", "InProgress")),
        "output_path": output_path.rstrip("/"),
    }


def main(argv: list[str] | None = None) -> int:
    import boto3  # noqa: TID251 - a tool run in the SDK environment, not platform code

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", choices=MODELS, required=True)
    parser.add_argument("--training", required=True, help="s3:// prefix of the training channel")
    parser.add_argument("--validation", required=True, help="s3:// prefix of the validation channel")
    parser.add_argument("--output-path", required=True, help="s3:// prefix for the model artifacts")
    parser.add_argument("--role", required=True, help="the SageMaker execution role's ARN")
    parser.add_argument("--image", required=True, help="the scikit-learn container image URI")
    parser.add_argument("--instance-type", default="ml.m5.large")
    parser.add_argument("--region", default=None)
    parser.add_argument("--no-wait", action="store_true")
    parser.add_argument("--hyperparameter", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    hyperparameters = dict(h.split("=", 1) for h in args.hyperparameter)
    result = launch(
        boto_session=boto3.Session(region_name=args.region),
        model=args.model,
        training_uri=args.training,
        validation_uri=args.validation,
        output_path=args.output_path,
        role=args.role,
        image=args.image,
        instance_type=args.instance_type,
        hyperparameters=hyperparameters,
        wait=not args.no_wait,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
