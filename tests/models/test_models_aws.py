"""The AWS side of the models' ports: InvokeEndpoint through the predictor, the gate's S3 reads."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from audience.core.aws import client_config, new_client
from audience.core.objectstore.adapters.aws import S3ObjectStore
from audience.models.adapters.aws.sagemaker_runtime import EndpointPredictor
from audience.models.evaluate import GateRequest, evaluate
from audience.models.ports import ModelUnavailableError, PredictionRejectedError


def _runtime() -> tuple[Any, Stubber]:
    client = new_client("sagemaker-runtime", client_config(attempts=1))
    return client, Stubber(client)


def test_endpoint_predictor_sends_instances_and_returns_the_handlers_answer() -> None:
    # GIVEN an endpoint answering one prediction
    client, stub = _runtime()
    answer = {"model": "churn", "model_version": "churn-run-1", "predictions": [{"churn_probability": 0.2}]}
    body = json.dumps(answer).encode()
    stub.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": "application/json"},
        {"EndpointName": "stack-churn", "ContentType": "application/json", "Accept": "application/json",
         "Body": json.dumps({"instances": [{"events": 3}]}).encode()},
    )  # fmt: skip
    # WHEN a row is predicted
    with stub:
        result = EndpointPredictor({"churn": "stack-churn"}, client).predict("churn", [{"events": 3}])
    # THEN the endpoint's JSON comes back as is
    assert result == answer


def test_endpoint_predictor_turns_a_4xx_model_error_into_the_same_rejection() -> None:
    # GIVEN the container refusing the rows with the handlers' 400 body
    client, stub = _runtime()
    refusal = {
        "error": "1 of 1 rows do not match",
        "errors": [{"row": 0, "field": "events", "code": "missing"}],
    }
    stub.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message="Received client error (400)",
        http_status_code=424,
        response_meta={},
        modeled_fields={"OriginalStatusCode": 400, "OriginalMessage": json.dumps(refusal)},
    )
    # WHEN / THEN the caller gets PredictionRejectedError with the per-row reasons
    with stub, pytest.raises(PredictionRejectedError) as caught:
        EndpointPredictor({"churn": "stack-churn"}, client).predict("churn", [{}])
    assert caught.value.status == 400 and caught.value.errors == refusal["errors"]


def test_endpoint_predictor_without_an_endpoint_says_the_model_is_unavailable() -> None:
    # GIVEN no endpoint configured (before the first promotion) / WHEN / THEN
    with pytest.raises(ModelUnavailableError):
        EndpointPredictor({}).predict("engagement", [{}])


def _output(metrics: dict[str, Any]) -> bytes:
    data = json.dumps(metrics).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("metrics.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@mock_aws
def test_evaluate_reads_the_jobs_output_and_the_in_service_record() -> None:
    # GIVEN a finished churn job's output and a churn model in service
    s3 = new_client("s3", client_config(attempts=1))
    s3.create_bucket(Bucket="models")
    metrics = {
        "model": "churn",
        "primary_metric": "roc_auc",
        "holdout": {"roc_auc": 0.7},
        "baseline": {"roc_auc": 0.6},
    }
    s3.put_object(Bucket="models", Key="training-jobs/churn-r2/output/output.tar.gz", Body=_output(metrics))
    current = {"metrics": {**metrics, "holdout": {"roc_auc": 0.75}}}
    s3.put_object(Bucket="models", Key="models/churn/current.json", Body=json.dumps(current).encode())
    store = S3ObjectStore("models", s3)
    request = GateRequest("churn", "churn-r2", "s3://models/training-jobs", "models")
    # WHEN the gate evaluates it / THEN it is kept out, with the figures that decided
    decision = evaluate(store, request)
    assert decision["promote"] is False and decision["current"] == 0.75 and decision["metrics"] == metrics
    # AND a job that trained another model, or output outside the bucket, is an error
    with pytest.raises(ValueError, match="not 'engagement'"):
        evaluate(store, GateRequest("engagement", "churn-r2", "s3://models/training-jobs", "models"))
    with pytest.raises(ValueError, match="not in the model bucket"):
        evaluate(store, GateRequest("churn", "churn-r2", "s3://elsewhere/x", "models"))
