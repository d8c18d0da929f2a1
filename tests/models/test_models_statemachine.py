"""The retraining state machine, executed by moto's ASL interpreter through the promote and reject paths.

What runs as written: every state, Choice, Map, Retry/Catch and JSONPath of
``statemachines/retrain_models.asl.json``; ``glue:startJobRun.sync`` (moto's Glue integration polls
GetJobRun, answered by a fake); the gate Lambda (the real handler, in-process, reading the moto S3
bucket); S3 putObject and SNS publish (moto). What is adapted, by the test only: moto 5.2 cannot run
``.sync`` (its callback path dereferences a missing callback endpoint: ``'NoneType' object has no
attribute 'interrupt_all'``, for Glue as for SageMaker, which it only forwards to the service), so the
test rewrites the two ``.sync`` resources to their request-response form and the fakes answer the
start call with what ``.sync`` hands on: GetJobRun's ``JobRun`` for Glue, DescribeTrainingJob's answer
for the finished training job. SageMaker and Glue calls are fakes of the API shapes.
"""

from __future__ import annotations

import ast
import io
import json
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.response import StreamingBody
from sfn_testkit import FakeServiceError, entered_states, sfn_harness

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = ROOT / "statemachines" / "retrain_models.asl.json"
BUCKET, LAKE = "models-bucket", "lake-bucket"
SUBSTITUTIONS = {
    "Region": "us-east-1",
    "TrainingSetsJobName": "stack-training-sets",
    "TrainingSetsUri": f"s3://{LAKE}/training-sets",
    "TrainingOutputUri": f"s3://{BUCKET}/training-jobs",
    "SourceDirUri": f"s3://{BUCKET}/sagemaker/sourcedir.tar.gz",
    "ModelBucket": BUCKET,
    "SageMakerRoleArn": "arn:aws:iam::123456789012:role/sm",
    "SklearnImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3",
    "TrainingInstanceType": "ml.m5.large",
    "LabelDays": "14",
    "ModelGateFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:gate",
    "EngagementEndpointName": "stack-engagement",
    "ChurnEndpointName": "stack-churn",
    "EndpointMode": "serverless",
    "ServerlessMemoryMB": "2048",
    "ServerlessMaxConcurrency": "5",
    "EndpointInstanceType": "none",
    "EndpointInstanceCount": "0",
    "NotificationTopicArn": "",  # filled with the moto topic
}
PRIMARY = {"engagement": "r2", "churn": "roc_auc"}


def _definition_for_moto() -> str:
    """The product's definition with the one adaptation described above."""
    text = DEFINITION.read_text()
    for resource in ("sagemaker:createTrainingJob", "glue:startJobRun"):
        assert text.count(f"arn:aws:states:::{resource}.sync") == 1
        text = text.replace(f"arn:aws:states:::{resource}.sync", f"arn:aws:states:::{resource}")
    assert '.sync"' not in text
    return text


def _metrics(model: str, value: float, baseline: float) -> dict[str, Any]:
    metric = PRIMARY[model]
    return {
        "model": model,
        "primary_metric": metric,
        "holdout": {metric: value},
        "baseline": {metric: baseline},
    }


def _tarball(metrics: dict[str, Any]) -> bytes:
    data = json.dumps(metrics).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("metrics.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _wire(
    harness: Any, monkeypatch: pytest.MonkeyPatch, candidates: dict[str, float], endpoints: list[str]
) -> dict[str, Any]:
    """Buckets, topic and fakes: each model's training job finishes with ``candidates[model]`` as its metric."""
    s3 = harness.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    topic = harness.client("sns").create_topic(Name="alarms")["TopicArn"]
    state: dict[str, Any] = {"topic": topic}

    # What startJobRun.sync hands on: GetJobRun's JobRun once the run SUCCEEDED.
    harness.fake(
        "glue", "StartJobRun", lambda p: {"Id": "jr_1", "JobName": p["JobName"], "JobRunState": "SUCCEEDED"}
    )

    def train(params: dict[str, Any]) -> dict[str, Any]:
        name = params["TrainingJobName"]
        model = name.split("-", 1)[0]
        s3.put_object(
            Bucket=BUCKET,
            Key=f"training-jobs/{name}/output/output.tar.gz",
            Body=_tarball(_metrics(model, candidates[model], 0.05 if model == "engagement" else 0.6)),
        )
        return {  # DescribeTrainingJob's answer once the job completed: what .sync hands on
            "TrainingJobName": name,
            "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
            "TrainingJobStatus": "Completed",
            "SecondaryStatus": "Completed",
            "ModelArtifacts": {"S3ModelArtifacts": f"s3://{BUCKET}/training-jobs/{name}/output/model.tar.gz"},
            "AlgorithmSpecification": params["AlgorithmSpecification"],
            "HyperParameters": params["HyperParameters"],
        }

    harness.fake("sagemaker", "CreateTrainingJob", train)

    def gate(params: dict[str, Any]) -> dict[str, Any]:
        payload = params["Payload"]
        if isinstance(payload, str) and payload.startswith(("b'", 'b"')):
            payload = ast.literal_eval(payload).decode()
        from functions.model_gate.app import handler

        body = json.dumps(handler(json.loads(payload), None)).encode()
        return {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": StreamingBody(io.BytesIO(body), len(body)),
        }

    monkeypatch.setenv("AUDIENCE_MODEL_BUCKET", BUCKET)
    monkeypatch.setenv("AUDIENCE_BACKEND", "aws")
    from audience.core.settings import get_settings

    get_settings.cache_clear()
    harness.fake("lambda", "Invoke", gate)
    arn = "arn:aws:sagemaker:us-east-1:123456789012:{}/{}"
    harness.fake("sagemaker", "CreateModel", lambda p: {"ModelArn": arn.format("model", p["ModelName"])})
    harness.fake(
        "sagemaker",
        "CreateEndpointConfig",
        lambda p: {"EndpointConfigArn": arn.format("endpoint-config", p["EndpointConfigName"])},
    )
    harness.fake(
        "sagemaker",
        "ListEndpoints",
        lambda p: {
            "Endpoints": [
                {
                    "EndpointName": e,
                    "EndpointArn": arn.format("endpoint", e),
                    "CreationTime": "2026-11-01T00:00:00Z",
                    "LastModifiedTime": "2026-11-01T00:00:00Z",
                    "EndpointStatus": "InService",
                }
                for e in endpoints
                if p["NameContains"] in e
            ]
        },
    )
    harness.fake(
        "sagemaker", "CreateEndpoint", lambda p: {"EndpointArn": arn.format("endpoint", p["EndpointName"])}
    )
    harness.fake(
        "sagemaker", "UpdateEndpoint", lambda p: {"EndpointArn": arn.format("endpoint", p["EndpointName"])}
    )
    return state


def job_name(model: str, result: dict[str, Any]) -> str:
    """A run's training job name: the model and the MD5 of the execution's ARN (63 characters at
    most, whatever the execution's name; SageMaker allows no more)."""
    import hashlib

    return f"{model}-{hashlib.md5(result['executionArn'].encode()).hexdigest()}"


def _run(
    harness: Any, state: dict[str, Any], name: str = "run-1", overrides: dict[str, str] | None = None
) -> dict[str, Any]:
    """Create the machine and start one execution *named* ``name`` (the run id is the execution's name;
    ``run_execution`` leaves it unnamed), then wait for its end."""
    text = _definition_for_moto()
    for key, value in {**SUBSTITUTIONS, "NotificationTopicArn": state["topic"], **(overrides or {})}.items():
        text = text.replace("${" + key + "}", value)
    sfn = harness.client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"retrain-{name}", definition=text, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input="{}")["executionArn"]
    deadline = time.monotonic() + 120
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still RUNNING after 120 s"
        time.sleep(0.05)
    return {
        **described,
        "history": sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"],
    }


def test_retrain_promotes_better_models_and_creates_their_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    with sfn_harness() as harness:
        # GIVEN no model in service and no endpoint yet; both candidates beat their baselines
        state = _wire(harness, monkeypatch, {"engagement": 0.2, "churn": 0.72}, endpoints=[])
        # WHEN the workflow runs
        result = _run(harness, state)
        # THEN it succeeds through training, the gate, the model, a serverless config and a new endpoint
        assert result["status"] == "SUCCEEDED", result["history"][-1]
        entered = entered_states(result)
        for step in (
            "Build training sets",
            "Train",
            "Evaluate",
            "Create model",
            "Create serverless endpoint config",
            "Find endpoint",
            "Create endpoint",
            "Record promotion",
            "Promoted",
            "Report",
        ):
            assert step in entered, step
        assert "Keep the model in service" not in entered and "Update endpoint" not in entered
        # AND the training jobs got the channels of this run and the script-mode program
        jobs = {p["TrainingJobName"]: p for p in harness.called("sagemaker", "CreateTrainingJob")}
        assert set(jobs) == {job_name("engagement", result), job_name("churn", result)}
        churn = jobs[job_name("churn", result)]
        assert churn["HyperParameters"]["sagemaker_program"] == "train_churn.py"
        assert [c["DataSource"]["S3DataSource"]["S3Uri"] for c in churn["InputDataConfig"]] == [
            f"s3://{LAKE}/training-sets/churn/run=run-1/training/",
            f"s3://{LAKE}/training-sets/churn/run=run-1/validation/",
        ]
        assert harness.called("glue", "StartJobRun")[0]["Arguments"]["--run_id"] == "run-1"
        configs = harness.called("sagemaker", "CreateEndpointConfig")
        assert {c["ProductionVariants"][0]["ServerlessConfig"]["MemorySizeInMB"] for c in configs} == {2048}
        assert sorted(e["EndpointName"] for e in harness.called("sagemaker", "CreateEndpoint")) == [
            "stack-churn",
            "stack-engagement",
        ]
        # AND the in-service record now holds the promoted job and its metrics (the next run's bar)
        record = json.loads(
            harness.client("s3").get_object(Bucket=BUCKET, Key="models/churn/current.json")["Body"].read()
        )
        assert record["promote"] is True and record["training_job_name"] == job_name("churn", result)
        assert record["metrics"]["holdout"]["roc_auc"] == 0.72
        output = json.loads(result["output"])
        assert sorted((r["model"], r["promoted"]) for r in output["results"]) == [
            ("churn", True),
            ("engagement", True),
        ]


def test_retrain_keeps_the_model_in_service_when_the_candidate_is_worse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with sfn_harness() as harness:
        # GIVEN churn in service at ROC-AUC 0.80 on an existing endpoint; engagement in service at R² 0.10
        state = _wire(
            harness,
            monkeypatch,
            {"engagement": 0.3, "churn": 0.75},
            endpoints=["stack-churn", "stack-engagement"],
        )
        s3 = harness.client("s3")
        for model, value in (("churn", 0.80), ("engagement", 0.10)):
            record = {
                "promote": True,
                "training_job_name": f"{model}-old",
                "metrics": _metrics(model, value, 0.0),
            }
            s3.put_object(Bucket=BUCKET, Key=f"models/{model}/current.json", Body=json.dumps(record).encode())
        # WHEN the workflow runs
        result = _run(harness, state, name="run-2")
        # THEN it succeeds; churn (0.75 < 0.80) is not deployed, engagement (0.30 > 0.10) updates its endpoint
        assert result["status"] == "SUCCEEDED"
        assert "Keep the model in service" in entered_states(result)
        assert [m["ModelName"] for m in harness.called("sagemaker", "CreateModel")] == [
            job_name("engagement", result)
        ]
        assert [e["EndpointName"] for e in harness.called("sagemaker", "UpdateEndpoint")] == [
            "stack-engagement"
        ]
        assert harness.called("sagemaker", "CreateEndpoint") == []
        kept = json.loads(s3.get_object(Bucket=BUCKET, Key="models/churn/current.json")["Body"].read())
        assert kept["training_job_name"] == "churn-old"
        results = {r["model"]: r for r in json.loads(result["output"])["results"]}
        assert (
            results["churn"]["promoted"] is False
            and "below the model in service" in results["churn"]["reason"]
        )


def test_retrain_deploys_on_instances_when_the_stack_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    with sfn_harness() as harness:
        # GIVEN EndpointMode=instance (the template's Condition fills the instance parameters)
        state = _wire(harness, monkeypatch, {"engagement": 0.2, "churn": 0.72}, endpoints=["stack-churn"])
        instance = {"EndpointMode": "instance", "ServerlessMemoryMB": "0", "ServerlessMaxConcurrency": "0",
                    "EndpointInstanceType": "ml.m5.large", "EndpointInstanceCount": "2"}  # fmt: skip
        # WHEN the workflow runs
        result = _run(harness, state, name="run-4", overrides=instance)
        # THEN the endpoint configs name the instances, typed as the API wants them
        assert result["status"] == "SUCCEEDED"
        assert "Create serverless endpoint config" not in entered_states(result)
        variants = [c["ProductionVariants"][0] for c in harness.called("sagemaker", "CreateEndpointConfig")]
        assert {(v["InstanceType"], v["InitialInstanceCount"]) for v in variants} == {("ml.m5.large", 2)}
        assert all("ServerlessConfig" not in v for v in variants)
        # AND the existing churn endpoint is updated while the missing engagement one is created
        assert [e["EndpointName"] for e in harness.called("sagemaker", "UpdateEndpoint")] == ["stack-churn"]
        assert [e["EndpointName"] for e in harness.called("sagemaker", "CreateEndpoint")] == [
            "stack-engagement"
        ]


def test_retrain_failure_notifies_and_fails_without_promoting(monkeypatch: pytest.MonkeyPatch) -> None:
    with sfn_harness() as harness:
        # GIVEN a training job SageMaker refuses
        state = _wire(harness, monkeypatch, {"engagement": 0.2, "churn": 0.72}, endpoints=[])

        def refuse(params: dict[str, Any]) -> dict[str, Any]:
            raise FakeServiceError("ResourceLimitExceeded", "no ml.m5.large capacity")

        harness.fake("sagemaker", "CreateTrainingJob", refuse)
        # WHEN the workflow runs
        result = _run(harness, state, name="run-3")
        # THEN the failure is notified, the execution fails, and nothing was deployed
        assert result["status"] == "FAILED"
        assert entered_states(result)[-2:] == ["Notify failure", "Failed"]
        assert harness.called("sagemaker", "CreateModel") == []


def test_retrain_definition_passes_asl_validator_and_matches_the_template() -> None:
    # GIVEN the definition with its placeholders filled as the template does
    text = DEFINITION.read_text()
    filled = text
    for key, value in {
        **SUBSTITUTIONS,
        "NotificationTopicArn": "arn:aws:sns:us-east-1:123456789012:alarms",
    }.items():
        filled = filled.replace("${" + key + "}", value)
    # WHEN asl-validator checks it
    validator = ROOT / "node_modules" / ".bin" / "asl-validator"
    if not validator.exists():
        pytest.fail("asl-validator missing: run `make setup` (npm ci)")
    done = subprocess.run(
        [str(validator), "--json-definition", filled], capture_output=True, text=True, check=False
    )
    # THEN it is valid, every Task retries, and the template fills exactly the placeholders it uses
    assert done.returncode == 0, done.stdout + done.stderr
    states: dict[str, Any] = {}

    def collect(block: dict[str, Any]) -> None:
        for name, spec in block["States"].items():
            states[name] = spec
            if "ItemProcessor" in spec:
                collect(spec["ItemProcessor"])

    collect(json.loads(filled))
    assert all(s.get("Retry") for s in states.values() if s["Type"] == "Task")
    from template_testkit import templates

    substitutions = templates().merged["Resources"]["RetrainModelsStateMachine"]["Properties"][
        "DefinitionSubstitutions"
    ]
    import re

    assert set(substitutions) == set(re.findall(r"\$\{([A-Za-z]+)\}", text)) == set(SUBSTITUTIONS)
