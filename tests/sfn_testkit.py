"""Executing our state machines in tests: moto's ASL interpreter plus fakes for what moto lacks.

moto 5.2 runs a definition for real when ``execute_state_machine`` is on, serving ``aws-sdk:`` and
optimised tasks with boto3 clients made from boto3's *default session*. Three gaps are closed here
(see ``../shared/notes/stepfunctions-testing.md``), all through botocore's event hooks on that
session:

* **Calls moto does not implement** (Personalize jobs, Pinpoint imports, SageMaker training ...):
  :meth:`SfnHarness.fake` answers an operation with a function of the call's API parameters, which
  may return a dict (the parsed response) or raise :class:`FakeServiceError` (a service error, so
  the definition's Retry/Catch run). A fake with state can answer ``CREATE PENDING`` a few times
  before ``ACTIVE`` to exercise wait loops.
* **Parameter casing.** Step Functions takes PascalCase names in ``aws-sdk:`` task parameters and
  converts them to the API's member names; moto does not, so for ``pascal_services`` each key is
  renamed (recursively, by the input shape) to the member with the same lower-case spelling.
* **Result casing.** Step Functions returns ``aws-sdk:`` results with PascalCase keys; for
  ``pascal_services`` the parsed response's keys are rewritten to PascalCase, recursively.

Test code that calls AWS itself should use :meth:`SfnHarness.client` (a separate session), so its
own calls are neither renamed nor re-cased. moto's interpreter sleeps for real in ``Wait`` states:
definitions take their wait seconds from the input (``SecondsPath``) so tests pass 0 or 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3  # noqa: TID251 (moto's interpreter makes its clients from boto3's default session)
from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel, Shape, StructureShape
from moto import mock_aws
from moto.core.config import default_user_config
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk as _aws_sdk_tasks,
)

# Step Functions names aws-sdk errors "<Service>.<Exception>" with the service's own capitalisation
# (Personalize.ResourceAlreadyExistsException); moto 5.2 knows only DynamoDb and Sfn and otherwise
# uses the lower-case API name, which Catch/Retry matchers would never match.
SERVICE_ERROR_NAMES = {
    "personalize": "Personalize",
    "athena": "Athena",
    "eventbridge": "EventBridge",
    "sns": "Sns",
    "s3": "S3",
    "customerprofiles": "CustomerProfiles",
    "pinpoint": "Pinpoint",
}

REGION = "us-east-1"
ACCOUNT = "123456789012"

Responder = Callable[[dict[str, Any]], dict[str, Any]]


class FakeServiceError(Exception):
    """Raised by a fake to answer with a service error (``ClientError`` with this code)."""

    def __init__(self, code: str, message: str = "", status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def _rename(value: Any, shape: Shape | None) -> Any:
    if isinstance(value, dict) and isinstance(shape, StructureShape):
        by_lower = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            member = by_lower.get(key.lower(), key)
            out[member] = _rename(item, shape.members.get(member))
        return out
    if isinstance(value, list) and shape is not None and shape.type_name == "list":
        return [_rename(item, shape.member) for item in value]  # type: ignore[attr-defined]
    return value


def _plain(value: Any) -> Any:
    """JSON for what botocore carries as bytes (a Lambda ``Payload``) or other objects."""
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8")
    if hasattr(value, "read"):
        return value.read().decode("utf-8")
    return str(value)


def pascal_keys(value: Any) -> Any:
    """Keys of every nested dict with their first letter upper-cased (Step Functions' aws-sdk results)."""
    if isinstance(value, dict):
        return {(k[:1].upper() + k[1:]): pascal_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal_keys(v) for v in value]
    return value


@dataclass
class SfnHarness:
    session: boto3.Session
    fakes: dict[tuple[str, str], Responder] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def fake(self, service: str, operation: str, responder: Responder) -> None:
        """Answer ``service``'s ``operation`` (API names: ``personalize``, ``CreateDatasetGroup``)."""
        self.fakes[(service, operation)] = responder

    def called(self, service: str, operation: str) -> list[dict[str, Any]]:
        """The API parameters of every call made to a faked ``operation``, in order."""
        return [p for s, o, p in self.calls if (s, o) == (service, operation)]

    def client(self, service: str) -> Any:
        """A client for the test's own calls, outside the renaming and re-casing hooks."""
        return boto3.Session(region_name=REGION).client(service)  # type: ignore[call-overload]

    # -- hooks ----------------------------------------------------------------------------------
    def _stash(
        self, params: dict[str, Any], model: OperationModel, context: dict[str, Any], **_: Any
    ) -> None:
        context["sfn_testkit_params"] = params

    def _answer(self, model: OperationModel, context: dict[str, Any], **_: Any) -> Any:
        service = model.service_model.service_name
        key = (service, model.name)
        if key not in self.fakes:
            return None  # moto answers
        params = json.loads(json.dumps(context.get("sfn_testkit_params", {}), default=_plain))
        self.calls.append((service, model.name, params))
        try:
            parsed = self.fakes[key](params)
        except FakeServiceError as error:
            body = {
                "Error": {"Code": error.code, "Message": error.message},
                "ResponseMetadata": {"HTTPStatusCode": error.status, "RequestId": "fake"},
            }
            return AWSResponse(f"https://{service}.fake", error.status, {}, None), body
        parsed = dict(parsed)
        parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": 200, "RequestId": "fake"})
        return AWSResponse(f"https://{service}.fake", 200, {}, None), parsed


def _rename_hook(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
    renamed = _rename(dict(params), model.input_shape)
    params.clear()
    params.update(renamed)


def _recase_hook(parsed: dict[str, Any], **_: Any) -> None:
    metadata = parsed.pop("ResponseMetadata", None)
    recased = pascal_keys(parsed)
    parsed.clear()
    parsed.update(recased)
    if metadata is not None:
        parsed["ResponseMetadata"] = metadata


@contextmanager
def sfn_harness(pascal_services: Sequence[str] = ()) -> Iterator[SfnHarness]:
    """moto with state machines executed, and the default session hooked as described above."""
    previous = dict(default_user_config.get("stepfunctions", {}))
    previous_names = dict(_aws_sdk_tasks._SERVICE_ERROR_NAMES)
    _aws_sdk_tasks._SERVICE_ERROR_NAMES.update(SERVICE_ERROR_NAMES)
    with mock_aws():
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        boto3.setup_default_session(region_name=REGION)
        session = boto3.DEFAULT_SESSION
        assert session is not None
        harness = SfnHarness(session=session)
        events = session.events
        events.register("before-parameter-build", harness._stash)
        events.register("before-call", harness._answer)
        for service in pascal_services:
            events.register(f"before-parameter-build.{service}", _rename_hook)
            events.register(f"after-call.{service}", _recase_hook)
        try:
            yield harness
        finally:
            default_user_config["stepfunctions"] = previous
            _aws_sdk_tasks._SERVICE_ERROR_NAMES.clear()
            _aws_sdk_tasks._SERVICE_ERROR_NAMES.update(previous_names)
            boto3.DEFAULT_SESSION = None


def run_execution(
    definition: str | Mapping[str, Any],
    payload: Mapping[str, Any],
    *,
    substitutions: Mapping[str, str] | None = None,
    name: str = "under-test",
    timeout: float = 60,
) -> dict[str, Any]:
    """Create the state machine (``${Placeholders}`` filled), start one execution and wait for its end.

    Returns ``describe_execution``'s answer plus ``history`` (the event list), so tests can assert
    the path taken (which states were entered) as well as the output.
    """
    text = definition if isinstance(definition, str) else json.dumps(definition)
    for key, value in (substitutions or {}).items():
        text = text.replace("${" + key + "}", value)
    sfn = boto3.Session(region_name=REGION).client("stepfunctions")
    arn = sfn.create_state_machine(
        name=name, definition=text, roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn-under-test"
    )["stateMachineArn"]
    # Named explicitly: moto leaves $$.Execution.Name null when the name is left to the service.
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution still RUNNING after {timeout} s")
        time.sleep(0.05)
    history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return {**described, "history": history}


def entered_states(result: Mapping[str, Any]) -> list[str]:
    """Names of the states entered, in order (from the execution history)."""
    return [
        e["stateEnteredEventDetails"]["name"] for e in result["history"] if "stateEnteredEventDetails" in e
    ]
