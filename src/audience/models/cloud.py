"""Ad-hoc cloud training: ``audience models train --cloud`` for data scientists, beside the weekly run.

1. The SageMaker Python SDK launches the same script-mode entry point (``sagemaker/train_<model>.py``)
   as a SageMaker training job on channels already in S3 (``tools/sagemaker/launch_training.py``,
   run in the SDK's own environment: the SDK pins ``rich<15``, the project ``rich==15.0.0``).
2. With ``deploy``, the finished job goes through the *same gate* as the weekly state machine
   (:func:`audience.models.evaluate.evaluate`: its metrics against its baseline and the model in
   service) and, only when promoted, the same deployment steps: a model in the scikit-learn serving
   container with ``inference.py``, an endpoint config, the endpoint created or updated, and the
   decision recorded as ``models/<model>/current.json``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audience.core.objectstore.ports import ObjectStore
from audience.models.evaluate import GateRequest, evaluate
from audience.models.ports import Deployer, EndpointSpec


@dataclass(frozen=True)
class CloudTrainingRequest:
    model: str
    channels_uri: str
    """``s3://...`` holding ``training/`` and ``validation/`` (a ``training_sets`` output folder)."""
    output_path: str
    role_arn: str
    image_uri: str
    instance_type: str = "ml.m5.large"
    hyperparameters: tuple[tuple[str, str], ...] = ()


Runner = Callable[[Sequence[str]], str]


def sdk_runner(python: Path, script: Path) -> Runner:
    """Runs the launcher with the SDK environment's interpreter; returns its stdout."""

    def run(args: Sequence[str]) -> str:
        if not python.exists():
            raise RuntimeError(
                f"the SageMaker Python SDK environment is missing ({python}): run `make setup-sagemaker`"
            )
        done = subprocess.run(
            [str(python), str(script), *args], capture_output=True, text=True, check=False, timeout=4 * 3600
        )
        if done.returncode != 0:
            raise RuntimeError(f"the training launch failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
        return done.stdout

    return run


def launch_args(request: CloudTrainingRequest, *, wait: bool, region: str | None) -> list[str]:
    base = request.channels_uri.rstrip("/")
    args = [
        "--model", request.model,
        "--training", f"{base}/training/",
        "--validation", f"{base}/validation/",
        "--output-path", request.output_path,
        "--role", request.role_arn,
        "--image", request.image_uri,
        "--instance-type", request.instance_type,
    ]  # fmt: skip
    if region:
        args += ["--region", region]
    if not wait:
        args.append("--no-wait")
    for name, value in request.hyperparameters:
        args += ["--hyperparameter", f"{name}={value}"]
    return args


def train_in_cloud(
    request: CloudTrainingRequest,
    run: Runner,
    *,
    region: str | None = None,
    deploy: tuple[ObjectStore, str, Deployer, EndpointSpec] | None = None,
) -> dict[str, Any]:
    """Launch the job (waiting for it when deploying), then gate and deploy it as the state machine does."""
    output = run(launch_args(request, wait=deploy is not None, region=region))
    job: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    if deploy is None:
        return {"job": job}
    store, model_bucket, deployer, spec = deploy
    if job.get("status") != "Completed":
        return {"job": job, "gate": None, "deployed": False, "reason": f"training job {job.get('status')}"}
    decision = evaluate(
        store, GateRequest(request.model, job["training_job_name"], job["output_path"], model_bucket)
    )
    if not decision["promote"]:
        return {"job": job, "gate": decision, "deployed": False}
    endpoint = deployer.deploy(job=job, spec=spec, role_arn=request.role_arn, image_uri=request.image_uri)
    store.put_object(
        f"models/{request.model}/current.json", json.dumps(decision).encode(), "application/json"
    )
    return {"job": job, "gate": decision, "deployed": True, "endpoint": endpoint}
