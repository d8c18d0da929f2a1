"""``python -m audience.models train|score|predict``: the models on the local backend."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer

from audience.core.settings import get_settings
from audience.models.ports import MODELS, ModelUnavailableError, PredictionRejectedError

app = typer.Typer(
    help="Engagement and churn models, locally.", no_args_is_help=True, pretty_exceptions_enable=False
)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@app.command()
def train(
    label_end: str = typer.Option(None, help="Last day of labels (YYYY-MM-DD); default yesterday (UTC)."),
    label_days: int = typer.Option(None, help="Label window in days (default AUDIENCE_MODEL_LABEL_DAYS)."),
    score_day: str = typer.Option(None, help="Day to score after training (default today)."),
    build: bool = typer.Option(True, help="Build the training and scoring sets first (local Spark)."),
    cloud: bool = typer.Option(
        False, help="Launch a SageMaker training job through the SageMaker Python SDK instead (ad hoc)."
    ),
    model: str = typer.Option("churn", help="With --cloud: engagement or churn."),
    channels: str = typer.Option(
        None, help="With --cloud: s3:// folder holding training/ and validation/ (a training_sets output)."
    ),
    role_arn: str = typer.Option(
        None, envvar="AUDIENCE_SAGEMAKER_ROLE_ARN", help="With --cloud: execution role."
    ),
    image_uri: str = typer.Option(
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3",
        envvar="AUDIENCE_SKLEARN_IMAGE_URI",
        help="With --cloud: the scikit-learn container (the template's SklearnImageUri).",
    ),
    instance_type: str = typer.Option("ml.m5.large", help="With --cloud: the training instance type."),
    deploy: bool = typer.Option(
        False, help="With --cloud: wait, pass the job through the weekly gate and deploy it if promoted."
    ),
    endpoint: str = typer.Option(None, help="With --deploy: the model's endpoint name."),
    region: str = typer.Option(None, envvar="AWS_REGION", help="With --cloud: the AWS region."),
) -> None:
    """Build the sets, train both models as SageMaker would, gate them, and score a day into the lake.

    With ``--cloud``: the same entry point as a SageMaker training job (SDK), optionally gated and deployed."""
    from rich.console import Console

    if cloud:
        _train_cloud(model, channels, role_arn, image_uri, instance_type, deploy, endpoint, region)
        return

    from audience.features.wiring import GlueJobError, JavaMissingError
    from audience.models.adapters.local.training import EmptySetsError
    from audience.models.stage import MissingDataError, run

    try:
        run(
            get_settings(),
            Console(),
            label_end=_day(label_end),
            label_days=label_days,
            score_day=_day(score_day),
            build=build,
        )
    except (MissingDataError, EmptySetsError, JavaMissingError, GlueJobError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


def _train_cloud(
    model: str,
    channels: str | None,
    role_arn: str | None,
    image_uri: str,
    instance_type: str,
    deploy: bool,
    endpoint: str | None,
    region: str | None,
) -> None:
    from audience.models.cloud import CloudTrainingRequest, sdk_runner, train_in_cloud

    settings = get_settings()
    if model not in MODELS:
        raise typer.BadParameter(f"--model must be one of {', '.join(MODELS)}")
    if not channels or not channels.startswith("s3://") or not role_arn:
        raise typer.BadParameter(
            "--cloud needs --channels s3://... and --role-arn (or AUDIENCE_SAGEMAKER_ROLE_ARN)"
        )
    if not settings.model_bucket:
        raise typer.BadParameter("--cloud needs AUDIENCE_MODEL_BUCKET (the stack's ModelBucketName output)")
    request = CloudTrainingRequest(
        model=model,
        channels_uri=channels,
        output_path=f"s3://{settings.model_bucket}/training-output/adhoc",
        role_arn=role_arn,
        image_uri=image_uri,
        instance_type=instance_type,
    )
    root = settings.project_root
    run = sdk_runner(
        root / "tools" / "sagemaker" / ".venv" / "bin" / "python",
        root / "tools" / "sagemaker" / "launch_training.py",
    )
    deployment = None
    if deploy:
        from audience.models.wiring import cloud_deployment

        if not endpoint or not region:
            raise typer.BadParameter("--deploy needs --endpoint and --region")
        deployment = cloud_deployment(settings, endpoint, region)
    result = train_in_cloud(request, run, region=region, deploy=deployment)
    typer.echo(json.dumps(result, indent=2, default=str))


@app.command()
def score(as_of: str = typer.Option(..., help="Day whose scoring rows to score (YYYY-MM-DD).")) -> None:
    """Score a day's rows (scoring-sets/) with the current models into predictions/."""
    from audience.models.wiring import local_training as runner
    from audience.models.wiring import predictor

    settings = get_settings()
    serving = predictor(settings)
    for model in MODELS:
        rows = runner.score(settings.lake_dir, serving, model, date.fromisoformat(as_of))
        typer.echo(f"{model}: {rows} rows into predictions/{runner.PREDICTION_TABLES[model]}/as_of={as_of}")


@app.command()
def predict(
    model: str = typer.Argument(..., help="engagement or churn"),
    file: str | None = typer.Option(None, help="JSON rows ({'instances': [...]} or a list); default stdin."),
) -> None:
    """Rows of features in, predictions out, through the same handlers as the endpoint."""
    from audience.models.wiring import predictor

    if model not in MODELS:
        raise typer.BadParameter(f"model must be one of {', '.join(MODELS)}")
    body: Any = json.loads(Path(file).read_text() if file else sys.stdin.read())
    rows = body.get("instances", body) if isinstance(body, dict) else body
    try:
        answer = predictor(get_settings()).predict(model, rows)
    except PredictionRejectedError as error:
        typer.echo(json.dumps(error.to_dict(), indent=2))
        raise typer.Exit(1) from None
    except ModelUnavailableError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(answer, indent=2))


if __name__ == "__main__":
    app()
