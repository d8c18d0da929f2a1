"""Shared pieces of the state-machine tests: realistic Personalize/Athena fakes, a Lambda fake that
runs our handlers in-process, and moto-side resources (bus, topic, queues) to observe the outputs."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builders import FakeLambdaContext
from sfn_testkit import ACCOUNT, REGION, FakeServiceError, SfnHarness

ROOT = Path(__file__).parents[2]
BUCKET = "lake-bucket"
BUS = "audience-events"
DSG = "audience-test"
ARN = f"arn:aws:personalize:{REGION}:{ACCOUNT}"
# The interactions export as Athena writes a SELECT's result (quoted header, lower-cased names).
ATHENA_RESULT = ROOT / "tests" / "fixtures" / "athena_interactions_result.csv"


def substitutions(topic_arn: str) -> dict[str, str]:
    return {
        "EventBusName": BUS,
        "DatasetGroupName": DSG,
        "DatasetGroupArn": f"{ARN}:dataset-group/{DSG}",
        "SchemaArnPrefix": f"{ARN}:schema/",
        "DatasetArnPrefix": f"{ARN}:dataset/{DSG}/",
        "SolutionName": f"{DSG}-affinity",
        "SolutionArn": f"{ARN}:solution/{DSG}-affinity",
        "ValidateQueriesFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:validate-queries",
        "PrepareInteractionsFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:prepare-interactions",
        "ExportPrefix": "personalize/exports/",
        "PostprocessFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:segment-postprocess",
        "GlueDatabase": "audience_test",
        "AthenaWorkGroup": "primary",
        "ExportLocation": f"s3://{BUCKET}/personalize/exports/",
        "TrainingDataLocation": f"s3://{BUCKET}/personalize/input/",
        "PersonalizeRoleArn": f"arn:aws:iam::{ACCOUNT}:role/personalize",
        "Bucket": BUCKET,
        "SegmentOutputPrefix": "personalize/segments/",
        "TopicArn": topic_arn,
    }


def lambda_fake(
    handlers: dict[str, Callable[[dict[str, Any], Any], Any]],
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """lambda:invoke answered by calling our handler in-process; an exception becomes a FunctionError
    with Lambda's error payload, as the real service returns it."""

    def invoke(params: dict[str, Any]) -> dict[str, Any]:
        name = params["FunctionName"].rsplit(":", 1)[-1]
        payload = json.loads(params.get("Payload") or "{}")
        try:
            result = handlers[name](payload, FakeLambdaContext())
        except Exception as exc:
            body = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps(body).encode()),
            }
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}

    return invoke


@dataclass
class FakePersonalize:
    """Personalize as a small state machine: each resource answers its in-progress statuses, then the
    final one. Names are unique per account, so a second create raises ResourceAlreadyExists."""

    pending: list[str] = field(default_factory=lambda: ["CREATE PENDING", "CREATE IN_PROGRESS"])
    final: dict[str, str] = field(default_factory=dict)  # kind -> final status override
    reasons: dict[str, str] = field(default_factory=dict)
    existing: set[str] = field(default_factory=set)
    polls: dict[str, list[str]] = field(default_factory=dict)
    counter: int = 0

    def _status(self, arn: str, kind: str) -> str:
        queue = self.polls.setdefault(arn, [*self.pending, self.final.get(kind, "ACTIVE")])
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def _create(self, kind: str, arn: str, key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def create(params: dict[str, Any]) -> dict[str, Any]:
            if arn in self.existing:
                raise FakeServiceError("ResourceAlreadyExistsException", f"{kind} {arn} already exists")
            self.existing.add(arn)
            return {key: arn}

        return create

    def _job(self, kind: str, path: str, key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def create(params: dict[str, Any]) -> dict[str, Any]:
            self.counter += 1
            name = params.get("jobName") or f"v{self.counter}"
            return {key: f"{ARN}:{path}/{name}"}

        return create

    def _describe(self, kind: str, arn_key: str, outer: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def describe(params: dict[str, Any]) -> dict[str, Any]:
            arn = params[arn_key]
            status = self._status(arn, kind)
            body: dict[str, Any] = {arn_key: arn, "status": status}
            if status.endswith("FAILED"):
                body["failureReason"] = self.reasons.get(kind, "something went wrong")
            return {outer: body}

        return describe

    def install(self, harness: SfnHarness) -> None:
        s = substitutions("")
        fake = harness.fake
        fake(
            "personalize",
            "CreateDatasetGroup",
            self._create("dataset-group", s["DatasetGroupArn"], "datasetGroupArn"),
        )
        fake(
            "personalize",
            "DescribeDatasetGroup",
            self._describe("dataset-group", "datasetGroupArn", "datasetGroup"),
        )

        def create_schema(params: dict[str, Any]) -> dict[str, Any]:
            json.loads(params["schema"])  # the definition must carry valid Avro JSON
            return self._create("schema", f"{s['SchemaArnPrefix']}{params['name']}", "schemaArn")(params)

        fake("personalize", "CreateSchema", create_schema)

        def create_dataset(params: dict[str, Any]) -> dict[str, Any]:
            arn = f"{s['DatasetArnPrefix']}{params['datasetType']}"
            return self._create("dataset", arn, "datasetArn")(params)

        fake("personalize", "CreateDataset", create_dataset)
        fake("personalize", "DescribeDataset", self._describe("dataset", "datasetArn", "dataset"))
        fake(
            "personalize",
            "CreateDatasetImportJob",
            self._job("import", "dataset-import-job", "datasetImportJobArn"),
        )
        fake(
            "personalize",
            "DescribeDatasetImportJob",
            self._describe("import", "datasetImportJobArn", "datasetImportJob"),
        )
        fake("personalize", "CreateSolution", self._create("solution", s["SolutionArn"], "solutionArn"))
        fake("personalize", "DescribeSolution", self._describe("solution", "solutionArn", "solution"))

        def create_version(params: dict[str, Any]) -> dict[str, Any]:
            self.counter += 1
            return {"solutionVersionArn": f"{params['solutionArn']}/v{self.counter}"}

        fake("personalize", "CreateSolutionVersion", create_version)
        fake(
            "personalize",
            "DescribeSolutionVersion",
            self._describe("solution-version", "solutionVersionArn", "solutionVersion"),
        )
        fake(
            "personalize",
            "CreateBatchSegmentJob",
            self._job("batch", "batch-segment-job", "batchSegmentJobArn"),
        )
        fake(
            "personalize",
            "DescribeBatchSegmentJob",
            self._describe("batch", "batchSegmentJobArn", "batchSegmentJob"),
        )


def fake_athena(harness: SfnHarness, states: list[str]) -> None:
    harness.fake("athena", "StartQueryExecution", lambda p: {"QueryExecutionId": "qe-1"})

    def get(params: dict[str, Any]) -> dict[str, Any]:
        state = states.pop(0) if len(states) > 1 else states[0]
        status: dict[str, Any] = {"State": state}
        if state == "FAILED":
            status["StateChangeReason"] = "TABLE_NOT_FOUND: engagement_events"
        return {"QueryExecution": {"QueryExecutionId": params["QueryExecutionId"], "Status": status}}

    harness.fake("athena", "GetQueryExecution", get)


@dataclass
class Observers:
    topic_arn: str
    events_queue: str
    topic_queue: str

    def drain(self, harness: SfnHarness, queue: str) -> list[Any]:
        """Every message in ``queue`` (bus events parsed; raw SNS messages as text)."""
        sqs = harness.client("sqs")
        out: list[Any] = []
        while True:
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages", []
            )
            if not got:
                return out
            for m in got:
                out.append(json.loads(m["Body"]) if queue == self.events_queue else m["Body"])
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])


def observers(harness: SfnHarness) -> Observers:
    """The custom bus with a catch-all rule into a queue, and the topic with a queue subscribed."""
    events, sns, sqs, s3 = (harness.client(n) for n in ("events", "sns", "sqs", "s3"))
    s3.create_bucket(Bucket=BUCKET)
    events.create_event_bus(Name=BUS)
    q_events = sqs.create_queue(QueueName="bus-events")["QueueUrl"]
    q_arn = sqs.get_queue_attributes(QueueUrl=q_events, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["audience.personalize"]})
    )
    events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": q_arn}])
    topic = sns.create_topic(Name="segments")["TopicArn"]
    q_topic = sqs.create_queue(QueueName="topic")["QueueUrl"]
    t_arn = sqs.get_queue_attributes(QueueUrl=q_topic, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=t_arn, Attributes={"RawMessageDelivery": "true"})
    return Observers(topic, q_events, q_topic)


@contextmanager
def aws_backend_env(**extra: str) -> Iterator[None]:
    """AUDIENCE_* for the handlers under test (aws backend, the moto bucket), restored afterwards."""
    from audience.core.settings import get_settings

    values = {"AUDIENCE_BACKEND": "aws", "AUDIENCE_LAKE_BUCKET": BUCKET, **extra}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
