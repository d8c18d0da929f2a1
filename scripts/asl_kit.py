"""Step Functions building blocks shared by the generated state machines (scripts/build_*_asl.py).

Every asynchronous step of the Personalize workflows has the same shape: a create call (reusing
what exists), a describe/back-off/wait loop with a poll limit and a failure branch, and a
per-step failure hand-off so the failure report names the step; Athena queries are started and
polled the same way. Writing those by hand for a dozen steps invites copy-paste slips, so the
builders compose them from here into ``states`` (cleared by each builder) and write or ``--check``
their files with :func:`write_or_check`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

PERSONALIZE = "arn:aws:states:::aws-sdk:personalize:"
ATHENA = "arn:aws:states:::aws-sdk:athena:"
TASK_RETRY = [
    {
        "ErrorEquals": ["Personalize.ThrottlingException", "Personalize.LimitExceededException"],
        "IntervalSeconds": 5,
        "MaxAttempts": 4,
        "BackoffRate": 2.0,
        "JitterStrategy": "FULL",
    }
]
# Athena's throttling and transient errors, as Step Functions names them for aws-sdk:athena tasks.
ATHENA_RETRY = [
    {
        "ErrorEquals": ["Athena.TooManyRequestsException", "Athena.InternalServerException"],
        "IntervalSeconds": 5,
        "MaxAttempts": 4,
        "BackoffRate": 2.0,
        "JitterStrategy": "FULL",
    }
]
LAMBDA_RETRY = [
    {
        "ErrorEquals": [
            "Lambda.ServiceException",
            "Lambda.TooManyRequestsException",
            "Lambda.SdkClientException",
        ],
        "IntervalSeconds": 2,
        "MaxAttempts": 3,
        "BackoffRate": 2.0,
    }
]
ALREADY_EXISTS = ["Personalize.ResourceAlreadyExistsException"]
FAILED_STATUSES = ("CREATE FAILED", "CREATE STOPPED")

states: dict[str, Any] = {}


def catch_to(step: str) -> list[dict[str, Any]]:
    """Any error of ``step`` goes to its failure hand-off, which records the step's name."""
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"Failed at {step}"}]


def failure_handoff(step: str) -> None:
    states[f"Failed at {step}"] = {
        "Type": "Pass",
        "Parameters": {
            "step": step,
            "error": "StepError",
            "cause.$": f"States.Format('{step}: {{}}: {{}}', $.error.Error, $.error.Cause)",
        },
        "ResultPath": "$.failure",
        "Next": "Publish failure",
    }


def task(name: str, resource: str, parameters: dict[str, Any], next_state: str, **extra: Any) -> None:
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, "Parameters": parameters}
    state.update(extra)
    state.setdefault("Retry", TASK_RETRY)
    state.setdefault("Catch", catch_to(name))
    state["Next"] = next_state
    states[name] = state
    failure_handoff(name)


def create_or_reuse(name: str, operation: str, parameters: dict[str, Any], next_state: str) -> None:
    """A create call whose ResourceAlreadyExists means "reuse it" (names, hence ARNs, are fixed)."""
    task(
        name,
        PERSONALIZE + operation,
        parameters,
        next_state,
        ResultPath=None,
        Catch=[{"ErrorEquals": ALREADY_EXISTS, "ResultPath": None, "Next": next_state}, *catch_to(name)],
    )


def wait_loop(
    step: str,
    describe: str,
    parameters: dict[str, Any],
    status_path: str,
    next_state: str,
    *,
    active: tuple[str, ...] = ("ACTIVE",),
    failed: tuple[str, ...] = FAILED_STATUSES,
    service: str = PERSONALIZE,
    retry: list[dict[str, Any]] = TASK_RETRY,
) -> str:
    """Reset the poll counter, then describe / check / back off / wait until done, failed or out of polls."""
    start, check, check_choice, back, cap, wait = (
        f"Start polling {step}",
        f"Describe {step}",
        f"{step}: done?",
        f"Back off {step}",
        f"{step}: wait too long?",
        f"Wait for {step}",
    )
    states[start] = {
        "Type": "Pass",
        "Parameters": {"count": 0, "wait.$": "$.wait_seconds"},
        "ResultPath": "$.poll",
        "Next": check,
    }
    # Only paths that are always present: a missing path fails the state (FailureReason is not).
    selector = {"status.$": status_path, "detail.$": status_path.rsplit(".", 1)[0]}
    task(
        check,
        service + describe,
        parameters,
        check_choice,
        ResultSelector=selector,
        ResultPath="$.described",
        Retry=retry,
    )
    states[check_choice] = {
        "Type": "Choice",
        "Choices": [
            *({"Variable": "$.described.status", "StringEquals": s, "Next": next_state} for s in active),
            *(
                {"Variable": "$.described.status", "StringEquals": s, "Next": f"{step} failed"}
                for s in failed
            ),
            {
                "Variable": "$.poll.count",
                "NumericGreaterThanEqualsPath": "$.max_polls",
                "Next": f"{step} timed out",
            },
        ],
        "Default": back,
    }
    states[f"{step} failed"] = {
        "Type": "Pass",
        "Parameters": {
            "step": step,
            "error": "StepFailed",
            "cause.$": f"States.Format('{step}: status {{}}: {{}}', $.described.status, States.JsonToString($.described.detail))",
        },
        "ResultPath": "$.failure",
        "Next": "Publish failure",
    }
    states[f"{step} timed out"] = {
        "Type": "Pass",
        "Parameters": {
            "step": step,
            "error": "StepTimedOut",
            "cause.$": f"States.Format('{step}: still {{}} after {{}} polls', $.described.status, $.poll.count)",
        },
        "ResultPath": "$.failure",
        "Next": "Publish failure",
    }
    states[back] = {
        "Type": "Pass",
        "Parameters": {
            "count.$": "States.MathAdd($.poll.count, 1)",
            "wait.$": "States.MathAdd($.poll.wait, $.poll.wait)",
            "max.$": "$.max_wait_seconds",
        },
        "ResultPath": "$.poll",
        "Next": cap,
    }
    states[cap] = {
        "Type": "Choice",
        "Choices": [
            {
                "Variable": "$.poll.wait",
                "NumericGreaterThanPath": "$.poll.max",
                "Next": f"Cap wait for {step}",
            }
        ],
        "Default": wait,
    }
    states[f"Cap wait for {step}"] = {
        "Type": "Pass",
        "Parameters": {"count.$": "$.poll.count", "wait.$": "$.poll.max"},
        "ResultPath": "$.poll",
        "Next": wait,
    }
    states[wait] = {"Type": "Wait", "SecondsPath": "$.poll.wait", "Next": check}
    return start


def athena_query(
    name: str,
    step: str,
    sql: str,
    output_location: str,
    result_path: str,
    next_state: str,
    *,
    execution_parameters: str | None = None,
    retry: list[dict[str, Any]] = ATHENA_RETRY,
    poll_retry: list[dict[str, Any]] = ATHENA_RETRY,
) -> None:
    """Start an Athena query in the stack's database and work group, then poll
    ``getQueryExecution`` (the wait loop named ``step``) until it succeeded, failed or was cancelled."""
    parameters: dict[str, Any] = {"QueryString": sql}
    if execution_parameters is not None:
        parameters["ExecutionParameters.$"] = execution_parameters
    parameters |= {
        "QueryExecutionContext": {"Database": "${GlueDatabase}"},
        "WorkGroup": "${AthenaWorkGroup}",
        "ResultConfiguration": {"OutputLocation": output_location},
    }
    task(name, ATHENA + "startQueryExecution", parameters, "PLACEHOLDER", ResultPath=result_path, Retry=retry)
    states[name]["Next"] = wait_loop(
        step,
        "getQueryExecution",
        {"QueryExecutionId.$": f"{result_path}.QueryExecutionId"},
        "$.QueryExecution.Status.State",
        next_state,
        active=("SUCCEEDED",),
        failed=("FAILED", "CANCELLED"),
        service=ATHENA,
        retry=poll_retry,
    )


def put_event(
    name: str, detail_type: str, detail: dict[str, Any], next_state: str, *, catch: bool = True
) -> None:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {
            "Entries": [
                {
                    "EventBusName": "${EventBusName}",
                    "Source": "audience.personalize",
                    "DetailType": detail_type,
                    "Detail": detail,
                }
            ]
        },
        "ResultPath": None,
        "Retry": [
            {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
        ],
        "Next": next_state,
    }
    if catch:
        state["Catch"] = catch_to(name)
        failure_handoff(name)
    states[name] = state


def failure_tail(detail_type: str, *, source: str, notify_subject: str | None = None) -> None:
    """The failure path every step's hand-off leads to: publish the failure on the event bus, then
    (with ``notify_subject``) notify the alarm topic, then fail with the step's error. Publishing
    and notifying are best effort: their own failure must not hide the first one."""
    execution = "$$.Execution.Name"
    after_publish = "Notify failure" if notify_subject else "Failed"
    states["Publish failure"] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {
            "Entries": [
                {
                    "EventBusName": "${EventBusName}",
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": {"execution.$": execution, "failure.$": "$.failure"},
                }
            ]
        },
        "ResultPath": None,
        "Retry": [
            {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": after_publish}],
        "Next": after_publish,
    }
    if notify_subject:
        states["Notify failure"] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {
                "TopicArn": "${TopicArn}",
                "Subject": notify_subject,
                "Message.$": f"States.Format('Training run {{}} failed at step {{}}: {{}}: {{}}', {execution}, $.failure.step, $.failure.error, $.failure.cause)",
            },
            "ResultPath": None,
            "Retry": [
                {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Failed"}],
            "Next": "Failed",
        }
    states["Failed"] = {"Type": "Fail", "ErrorPath": "$.failure.error", "CausePath": "$.failure.cause"}


def write_or_check(outputs: dict[Path, str], argv: list[str], script: str) -> int:
    """Write each generated file, or with ``--check`` exit 1 naming every stale one."""
    stale = False
    for path, text in outputs.items():
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                print(f"{path.relative_to(ROOT)} is stale: run python {script}", file=sys.stderr)
                stale = True
        else:
            path.write_text(text)
    return 1 if stale else 0
