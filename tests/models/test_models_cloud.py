"""Ad-hoc cloud training: the SageMaker Python SDK with its requests stubbed, then the same gate and deployment."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from audience.core.aws import client_config, new_client
from audience.core.objectstore.adapters.aws import S3ObjectStore
from audience.models.adapters.aws.deploy import SageMakerDeployer
from audience.models.cloud import CloudTrainingRequest, launch_args, sdk_runner, train_in_cloud
from audience.models.ports import EndpointSpec

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / "tools" / "sagemaker" / ".venv" / "bin" / "python"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"
ROLE = "arn:aws:iam::123456789012:role/sm"


def test_the_sdk_launches_the_same_entry_point_as_a_training_job() -> None:
    # GIVEN the SageMaker Python SDK in its environment, every AWS request stubbed (and validated by botocore)
    if not SDK_PYTHON.exists():
        pytest.fail("the SageMaker SDK environment is missing: run `make setup-sagemaker`")
    # WHEN the launcher starts a churn job and waits for it
    done = subprocess.run(
        [str(SDK_PYTHON), str(Path(__file__).with_name("sagemaker_sdk_stub.py")), "churn"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # THEN one training job ran the churn script from the uploaded source folder, on both channels,
    # in the scikit-learn container, its output where the gate reads it
    jobs = [c["params"] for c in out["calls"] if c["op"] == "CreateTrainingJob"]
    assert len(jobs) == 1
    job = jobs[0]
    assert job["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert (
        job["RoleArn"] == ROLE
        and job["OutputDataConfig"]["S3OutputPath"] == "s3://models/training-output/adhoc"
    )
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in job["InputDataConfig"]}
    assert channels["training"].endswith("/training/") and channels["validation"].endswith("/validation/")
    assert job["HyperParameters"]["max-iter"] == "50"
    uploaded = [c["params"]["Key"] for c in out["calls"] if c["op"] == "PutObject"]
    assert any(k.endswith("train_churn.py") for k in uploaded) and any(
        k.endswith("modelkit.py") for k in uploaded
    )
    assert out["result"] == {
        "model": "churn",
        "training_job_name": job["TrainingJobName"],
        "status": "Completed",
        "output_path": "s3://models/training-output/adhoc",
    }


def _output(metrics: dict[str, Any]) -> bytes:
    data = json.dumps(metrics).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("metrics.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _fake_launch(job: str) -> Any:
    def run(args: Sequence[str]) -> str:
        assert "--no-wait" not in args  # deploying waits for the job
        return json.dumps(
            {
                "model": "churn",
                "training_job_name": job,
                "status": "Completed",
                "output_path": "s3://models/adhoc",
            }
        )

    return run


@mock_aws
@pytest.mark.parametrize(("holdout", "promoted"), [(0.72, True), (0.58, False)])
def test_a_job_is_deployed_only_when_the_weekly_gate_promotes_it(holdout: float, promoted: bool) -> None:
    # GIVEN a finished ad-hoc job whose metrics beat (or not) its baseline, and no model in service
    s3 = new_client("s3", client_config(attempts=1))
    s3.create_bucket(Bucket="models")
    metrics = {
        "model": "churn",
        "primary_metric": "roc_auc",
        "holdout": {"roc_auc": holdout},
        "baseline": {"roc_auc": 0.6},
    }
    s3.put_object(Bucket="models", Key="adhoc/churn-adhoc-1/output/output.tar.gz", Body=_output(metrics))
    sagemaker = new_client("sagemaker", client_config(attempts=1))
    stub = Stubber(sagemaker)
    if promoted:
        stub.add_response(
            "describe_training_job",
            {
                "TrainingJobName": "churn-adhoc-1",
                "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-adhoc-1",
                "TrainingJobStatus": "Completed",
                "SecondaryStatus": "Completed",
                "AlgorithmSpecification": {"TrainingInputMode": "File"},
                "ResourceConfig": {"VolumeSizeInGB": 10},
                "StoppingCondition": {},
                "CreationTime": "2026-11-30T00:00:00Z",
                "ModelArtifacts": {"S3ModelArtifacts": "s3://models/adhoc/churn-adhoc-1/output/model.tar.gz"},
            },
            {"TrainingJobName": "churn-adhoc-1"},
        )
        stub.add_response(
            "create_model", {"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/churn-adhoc-1"}
        )
        stub.add_response(
            "create_endpoint_config",
            {"EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/churn-adhoc-1"},
        )
        stub.add_response(
            "list_endpoints", {"Endpoints": []}, {"NameContains": "stack-churn", "MaxResults": 100}
        )
        stub.add_response(
            "create_endpoint",
            {"EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/stack-churn"},
            {"EndpointName": "stack-churn", "EndpointConfigName": "churn-adhoc-1"},
        )
    request = CloudTrainingRequest(
        "churn", "s3://models/training-sets/churn/as_of=2026-11-29", "s3://models/adhoc", ROLE, IMAGE
    )
    spec = EndpointSpec("stack-churn", "s3://models/sagemaker/sourcedir.tar.gz", "us-east-1")
    store = S3ObjectStore("models", s3)
    # WHEN it is trained with --deploy
    with stub:
        result = train_in_cloud(
            request,
            _fake_launch("churn-adhoc-1"),
            deploy=(store, "models", SageMakerDeployer(sagemaker), spec),
        )
    # THEN it is deployed, and recorded as the model in service, exactly when the gate promotes it
    assert result["deployed"] is promoted and result["gate"]["promote"] is promoted
    stub.assert_no_pending_responses()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="models").get("Contents", [])]
    assert ("models/churn/current.json" in keys) is promoted


def test_launch_arguments_and_a_missing_sdk_environment(tmp_path: Path) -> None:
    # GIVEN a request WHEN its launch arguments are built THEN the channels are the folder's two halves
    request = CloudTrainingRequest(
        "engagement", "s3://m/sets/", "s3://m/out", ROLE, IMAGE, hyperparameters=(("a", "1"),)
    )
    args = launch_args(request, wait=False, region="eu-west-1")
    assert args[args.index("--training") + 1] == "s3://m/sets/training/" and "--no-wait" in args
    assert args[-2:] == ["--hyperparameter", "a=1"]
    # AND without the SDK environment the error says how to install it
    with pytest.raises(RuntimeError, match="make setup-sagemaker"):
        sdk_runner(tmp_path / "missing" / "python", tmp_path / "x.py")([])
