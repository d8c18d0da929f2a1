"""Our state machines as AWS would run them: definitions filled from the templates with realistic
values, every Task's parameters evaluated (JSONPath and intrinsic functions) on realistic state
data, and each Task mapped to the API operation it calls (service model in botocore)."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cfn_values import ACCOUNT, REGION, STACK, Resolver
from template_testkit import conformance_covers, templates

# The longest execution name Step Functions allows (80); EventBridge-started ones are about 73.
EXECUTION_NAME = "a1b2c3d4-e5f6-4789-8abc-def012345678_0f1e2d3c-4b5a-4697-8887-a6b5c4d3e2f1-retry1"
assert len(EXECUTION_NAME) == 80
QUERY_ID = "9f4e2b7a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
RUN_UUID = "3c9d2e1f-7a6b-4c5d-9e8f-0a1b2c3d4e5f"  # States.UUID() in a job name
MD5 = hashlib.md5(b"run").hexdigest()


def execution_arn(machine: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{EXECUTION_NAME}"


# Realistic values of every JSONPath our definitions read, by path. A path without a value here
# fails the suite: a new state must say what it reads.
SAMPLES: dict[str, Any] = {
    "$.queries_key": "personalize/queries/queries.json",
    "$.queries_file": "queries.json",
    "$.num_results": 10000,
    "$.wait_seconds": 60,
    "$.max_wait_seconds": 900,
    "$.max_polls": 200,
    "$.run.id": MD5,
    "$.export.QueryExecutionId": QUERY_ID,
    "$.prepared.location": f"s3://{STACK}-lake-lakebucket-0a1b2c3d4e5f/personalize/exports/prepared/{QUERY_ID}.csv",
    "$.imports.interactions.arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-import-job/interactions-{MD5}",
    "$.imports.items.arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-import-job/items-{MD5}",
    "$.imports.users.arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-import-job/users-{MD5}",
    "$.solution_version.arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/{STACK}-item-attribute-affinity/1a2b3c4d",
    "$.batch_segment_job.arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:batch-segment-job/segments-{MD5}",
    "$.queries.count": 10,
    "$.poll.count": 3,
    "$.poll.wait": 240,
    "$.poll.max": 900,
    "$.described.status": "CREATE FAILED",
    "$.described.detail": {"Status": "CREATE FAILED", "FailureReason": "Insufficient data"},
    "$.error": {"Error": "Personalize.LimitExceededException", "Cause": "Too many requests"},
    "$.error.Error": "Personalize.LimitExceededException",
    "$.error.Cause": "Too many requests",
    "$.failure": {"step": "solution version", "error": "StepFailed", "cause": "status CREATE FAILED"},
    "$.failure.step": "solution version",
    "$.failure.error": "StepFailed",
    "$.failure.cause": "solution version: status CREATE FAILED: Insufficient data",
    "$.detail.job_name": f"segments-{MD5}",
    "$.detail.output_key": f"personalize/segments/{EXECUTION_NAME}/queries.json.out",
    "$.detail.solution_version_arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/{STACK}-item-attribute-affinity/1a2b3c4d",
    "$.result.report.api_calls_per_segment": 7,
    "$.result.report.destination": "connect",
    "$.result.report.failed": 0,
    "$.result.report.job": f"segments-{MD5}",
    "$.result.report.segments": 10,
    "$.result.report.succeeded": 10,
    "$.results": [{"segment": "genres-action-2026-11-30", "status": "SUCCEEDED"}],
    # retraining (statemachines/retrain_models.asl.json): the run id is the execution's name
    "$.run_id": EXECUTION_NAME,
    "$.job_id": MD5,
    "$.label_days": "14",  # filled from DefinitionSubstitutions: strings
    "$.model": "engagement",
    "$.program": "train_engagement.py",
    "$.endpoint": f"{STACK}-engagement",
    "$.instance_type": "ml.t2.medium",
    "$.instance_count": "1",
    "$.serverless_memory_mb": "2048",
    "$.serverless_max_concurrency": "5",
    "$.training.TrainingJobName": f"engagement-{MD5}",
    "$.training.S3ModelArtifacts": f"s3://{STACK}-models-modelbucket-0a1b2c3d4e5f/training-jobs/engagement-{MD5}/output/model.tar.gz",
    "$.gate.decision": {"promote": True, "reason": "beats baseline and the model in service"},
    "$.gate.decision.reason": "beats baseline and the model in service",
    "$.Endpoints": [],
    "$$.Map.Item.Value.model": "engagement",
    "$$.Map.Item.Value.program": "train_engagement.py",
    "$$.Map.Item.Value.endpoint": f"{STACK}-engagement",
    # recommendations (statemachines/recommendations.asl.json; the execution input and each step's result)
    "$.deploy_campaign": True,
    "$.min_tps": 1,
    "$.import.arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-import-job/recs-import-{RUN_UUID}",
    "$.baseline.users": 5000,
    "$.baseline.users_input_key": f"personalize/recommendations/runs/{EXECUTION_NAME}/users.jsonl",
    "$.baseline.output_prefix": f"personalize/recommendations/runs/{EXECUTION_NAME}/",
    "$.batch_inference_job.arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:batch-inference-job/recs-{RUN_UUID}",
    "$.loaded.loaded": 5000,
    # the online comparison (statemachines/recommendations_online.asl.json)
    "$.window_seconds": 3600,
    "$.query.QueryExecutionId": QUERY_ID,
    "$.analysis.report_key": "personalize/recommendations/reports/ab/2026-11-30.json",
    "$.analysis.lists": 2400,
}
# Where one path holds another machine's resource: the recommendations workflow trains its own
# aws-user-personalization-v2 solution (``<stack>-recs``), not the segments' one.
MACHINE_SAMPLES: dict[str, dict[str, Any]] = {
    "RecommendationsStateMachine": {
        "$.solution_version.arn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/{STACK}-recs/1a2b3c4d",
        "$.prepared.key": f"personalize/recommendations/runs/{EXECUTION_NAME}/interactions.csv",
        "$.prepared.rows": 272_289,
    },
}


@dataclass(frozen=True)
class Machine:
    logical_id: str
    path: Path
    definition: dict[str, Any]  # placeholders filled with the realistic values
    substitutions: dict[str, Any]
    raw_text: str


@dataclass(frozen=True)
class Task:
    machine: Machine
    name: str
    state: dict[str, Any]

    @property
    def resource(self) -> str:
        return str(self.state["Resource"])


@cache
def machines() -> tuple[Machine, ...]:
    merged = templates().merged
    resolver = Resolver(merged)
    out = []
    for name, res in merged["Resources"].items():
        if res["Type"] != "AWS::Serverless::StateMachine" or not conformance_covers(name):
            continue
        props = res["Properties"]
        path = (templates().source(name).parent / props["DefinitionUri"]).resolve()
        text = path.read_text()
        subs = {k: resolver.value(v) for k, v in props.get("DefinitionSubstitutions", {}).items()}
        filled = re.sub(
            r"\$\{([A-Za-z0-9]+)\}", lambda m: str(subs.get(m.group(1), m.group(0))).replace('"', '\\"'), text
        )
        out.append(Machine(name, path, json.loads(filled), subs, text))
    return tuple(out)


def _states(block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in block.get("States", {}).items():
        yield name, state
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key])
        for branch in state.get("Branches", []):
            yield from _states(branch)


def tasks() -> list[Task]:
    return [
        Task(m, name, state)
        for m in machines()
        for name, state in _states(m.definition)
        if state["Type"] == "Task"
    ]


# ---------------------------------------------------------------- evaluation of parameters


class Unresolved(Exception):
    """A JSONPath without a realistic sample."""


def lookup(path: str, machine: str) -> Any:
    if path == "$$.Execution.Name":
        return EXECUTION_NAME
    if path == "$$.Execution.Id":
        return execution_arn(machine)
    if path in MACHINE_SAMPLES.get(machine, {}):
        return MACHINE_SAMPLES[machine][path]
    if path in SAMPLES:
        return SAMPLES[path]
    raise Unresolved(path)


_TOKEN = re.compile(
    r"\s*(States\.[A-Za-z]+\(|'(?:\\.|[^'\\])*'|\$\$?[A-Za-z0-9_.\[\]]*|-?\d+(?:\.\d+)?|,|\))"
)


def evaluate(expression: str, machine: str) -> Any:
    """A ``.$`` value: a JSONPath or an intrinsic function call, evaluated like Step Functions."""
    tokens = [t for t in _TOKEN.findall(expression)]
    if "".join(tokens).replace(" ", "") != expression.replace(" ", "") and not expression.startswith("$"):
        raise ValueError(f"cannot parse {expression!r}")
    position = 0

    def parse() -> Any:
        nonlocal position
        token = tokens[position]
        position += 1
        if token.startswith("States."):
            name = token[:-1]
            args = []
            while tokens[position] != ")":
                args.append(parse())
                if tokens[position] == ",":
                    position += 1
            position += 1
            return _call(name, args)
        if token.startswith("'"):
            return token[1:-1].replace("\\'", "'").replace("\\{", "{").replace("\\}", "}")
        if token.startswith("$"):
            return lookup(token, machine)
        return float(token) if "." in token else int(token)

    if expression.startswith("$") and not expression.startswith("States."):
        return lookup(expression, machine)
    return parse()


def _call(name: str, args: list[Any]) -> Any:
    if name == "States.Format":
        template, *values = args
        parts = str(template).split("{}")
        assert len(parts) == len(values) + 1, (template, values)
        out = parts[0]
        for value, part in zip(values, parts[1:], strict=True):
            out += (json.dumps(value) if isinstance(value, dict | list) else str(value)) + part
        return out
    if name == "States.Hash":
        algorithm = str(args[1]).replace("-", "").lower()
        return hashlib.new(algorithm, str(args[0]).encode()).hexdigest()
    if name == "States.UUID":
        return str(uuid.UUID(int=0x1234))
    if name == "States.MathAdd":
        return args[0] + args[1]
    if name == "States.JsonToString":
        return json.dumps(args[0], separators=(",", ":"))
    if name == "States.StringToJson":
        return json.loads(args[0])
    if name == "States.ArrayLength":
        return len(args[0])
    if name == "States.Array":
        return list(args)
    raise NotImplementedError(name)


def concrete(value: Any, machine: str) -> Any:
    """A Parameters block with every ``key.$`` evaluated into ``key``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key.endswith(".$") and isinstance(item, str):
                out[key[:-2]] = evaluate(item, machine)
            else:
                out[key] = concrete(item, machine)
        return out
    if isinstance(value, list):
        return [concrete(v, machine) for v in value]
    return value


# ---------------------------------------------------------------- resources -> API operations

# Step Functions' optimized integrations: resource -> (botocore service, operation, output shape
# of the result the state sees: a ".sync" task returns the describe call's answer).
OPTIMIZED: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "arn:aws:states:::lambda:invoke": ("lambda", "Invoke", None),
    "arn:aws:states:::sns:publish": ("sns", "Publish", None),
    "arn:aws:states:::events:putEvents": ("events", "PutEvents", None),
    "arn:aws:states:::glue:startJobRun.sync": ("glue", "StartJobRun", ("glue", "JobRun")),
    "arn:aws:states:::sagemaker:createTrainingJob.sync": (
        "sagemaker",
        "CreateTrainingJob",
        ("sagemaker", "DescribeTrainingJobResponse"),
    ),
    "arn:aws:states:::sagemaker:createModel": ("sagemaker", "CreateModel", None),
    "arn:aws:states:::sagemaker:createEndpointConfig": ("sagemaker", "CreateEndpointConfig", None),
    "arn:aws:states:::sagemaker:createEndpoint": ("sagemaker", "CreateEndpoint", None),
    "arn:aws:states:::sagemaker:updateEndpoint": ("sagemaker", "UpdateEndpoint", None),
}
# Step Functions' aws-sdk service names that differ from botocore's.
SDK_SERVICES = {"sfn": "stepfunctions"}


def operation_of(task: Task) -> tuple[str, str, bool]:
    """(botocore service, operation name, is an aws-sdk task)."""
    resource = task.resource
    if resource in OPTIMIZED:
        service, op, _ = OPTIMIZED[resource]
        return service, op, False
    match = re.fullmatch(r"arn:aws:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)(\.\w+)?", resource)
    assert match, f"{task.name}: unknown resource {resource}"
    return SDK_SERVICES.get(match.group(1), match.group(1)), match.group(2), True


def api_parameters(task: Task) -> dict[str, Any]:
    """The request the integration sends, from the state's evaluated Parameters."""
    params = concrete(task.state.get("Parameters", {}), task.machine.logical_id)
    service, op, _ = operation_of(task)
    # Optimized integrations take JSON where the API takes a string, and serialize it.
    if (service, op) == ("lambda", "Invoke") and not isinstance(params.get("Payload", ""), str):
        params["Payload"] = json.dumps(params["Payload"])
    if (service, op) == ("events", "PutEvents"):
        for entry in params.get("Entries", []):
            if not isinstance(entry.get("Detail", ""), str):
                entry["Detail"] = json.dumps(entry["Detail"])
    if (service, op) == ("sns", "Publish") and not isinstance(params.get("Message", ""), str):
        params["Message"] = json.dumps(params["Message"])
    return params
