"""The cloud gate's data access around :func:`audience.models.gate.decide`, through the ObjectStore port.

A SageMaker training job writes ``SM_OUTPUT_DATA_DIR`` to ``<output_path>/<job>/output/output.tar.gz``;
our scripts put ``metrics.json`` there (and in the model), so the gate reads it without unpacking the
model. The model in service is described by ``models/<model>/current.json`` in the model bucket,
which the state machine writes on promotion: this function's own answer for the promoted job.
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass
from typing import Any

from audience.core.objectstore.ports import ObjectStore
from audience.models.gate import decide


@dataclass(frozen=True)
class GateRequest:
    model: str
    training_job_name: str
    output_path: str
    """``s3://bucket/prefix`` of the training jobs' output (the job's ``OutputDataConfig.S3OutputPath``)."""
    bucket: str


def output_key(request: GateRequest) -> str:
    prefix = request.output_path.removeprefix(f"s3://{request.bucket}").strip("/")
    return "/".join(p for p in (prefix, request.training_job_name, "output", "output.tar.gz") if p)


def current_key(model: str) -> str:
    return f"models/{model}/current.json"


def read_metrics(archive: bytes) -> dict[str, Any]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.rsplit("/", 1)[-1] == "metrics.json":
                handle = tar.extractfile(member)
                if handle is not None:
                    value: dict[str, Any] = json.loads(handle.read())
                    return value
    raise ValueError("the training job's output.tar.gz holds no metrics.json")


def evaluate(store: ObjectStore, request: GateRequest) -> dict[str, Any]:
    """The decision, the candidate's metrics and its job name (what ``current.json`` records on promotion)."""
    if not request.output_path.startswith(f"s3://{request.bucket}"):
        raise ValueError(f"training output {request.output_path} is not in the model bucket {request.bucket}")
    candidate = read_metrics(store.get_object(output_key(request)))
    if candidate.get("model") != request.model:
        raise ValueError(
            f"job {request.training_job_name} trained {candidate.get('model')!r}, not {request.model!r}"
        )
    try:
        record = json.loads(store.get_object(current_key(request.model)))
        current = record.get("metrics")
    except FileNotFoundError:
        current = None
    decision = decide(candidate, current)
    return {
        **decision.to_dict(),
        "model": request.model,
        "training_job_name": request.training_job_name,
        "metrics": candidate,
    }
