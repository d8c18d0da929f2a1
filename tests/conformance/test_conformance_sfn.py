"""Every Step Functions Task against AWS's own API models (botocore), with realistic values.

Checked for each state machine of the templates, filled with the values the deployed stack would
have (tests/conformance/cfn_values.py) and run under an 80-character execution name:
- each Task's request: member names, required members, nesting, types, enums, lengths, patterns;
- each ResultSelector path exists in the operation's output shape;
- each Retry/Catch error name is the service's own (``Athena.TooManyRequestsException``...);
- each DefinitionSubstitutions key is used, and every placeholder has one;
- each Task's IAM actions (and iam:PassRole) are allowed by the state machine's role.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from botocore.model import StructureShape
from botocore_limits import input_violations, member_named, operation, service_model
from cfn_values import ACCOUNT, REGION, Resolver
from iam import allowed, as_list, role_statements
from sfn_model import OPTIMIZED, Task, api_parameters, machines, operation_of, tasks
from template_testkit import sam_transformed

TASKS = tasks()


def _id(task: Task) -> str:
    return f"{task.machine.logical_id}:{task.name}"


def test_every_state_machine_and_task_is_covered() -> None:
    # GIVEN the templates' state machines
    names = {m.logical_id for m in machines()}
    # WHEN their tasks are collected  THEN all five workflows and all their tasks are here
    assert names == {
        "PersonalizeTrainingStateMachine",
        "SegmentPostprocessStateMachine",
        "RetrainModelsStateMachine",
        "RecommendationsStateMachine",
        "OnlineStateMachine",
    }
    assert len(TASKS) >= 49


@pytest.mark.parametrize("task", TASKS, ids=_id)
def test_task_parameters_conform_to_the_service_model(task: Task) -> None:
    # GIVEN one Task and the operation it calls
    service, op, sdk = operation_of(task)
    # WHEN its Parameters are evaluated with realistic values (80-character execution name)
    params = api_parameters(task)
    # THEN AWS's model accepts them: names, required, nesting, types, enums, lengths, patterns
    assert input_violations(service, op, params, case_insensitive=sdk) == []


def _output_shape(task: Task) -> StructureShape | None:
    resource = task.resource
    if resource in OPTIMIZED:
        service, op, result = OPTIMIZED[resource]
        if result is not None:
            shape = service_model(result[0]).shape_for(result[1])
            assert isinstance(shape, StructureShape)
            return shape
        return operation(service, op).output_shape
    service, op, _ = operation_of(task)
    return operation(service, op).output_shape


@pytest.mark.parametrize("task", [t for t in TASKS if "ResultSelector" in t.state], ids=_id)
def test_result_selector_paths_exist_in_the_output_shape(task: Task) -> None:
    # GIVEN a Task's ResultSelector and the shape of what the service answers
    shape = _output_shape(task)
    assert shape is not None
    # WHEN each selected path is walked through the shape (Step Functions hands aws-sdk results
    # over with PascalCase keys, optimized integrations with the API's own)
    missing = []
    selected = [v for k, v in task.state["ResultSelector"].items() if k.endswith(".$")]
    paths = [p for v in selected for p in re.findall(r"\$\.[A-Za-z0-9_.]+", v)]  # also inside intrinsics
    assert paths
    for path in paths:
        current: Any = shape
        for part in path.removeprefix("$.").split("."):
            if task.resource == "arn:aws:states:::lambda:invoke" and current is None:
                break  # inside Payload: the function's own JSON
            if not isinstance(current, StructureShape):
                missing.append(f"{path}: {part} is below a {getattr(current, 'type_name', '?')}")
                break
            member = member_named(current, part)
            if member is None:
                missing.append(f"{path}: no {part} in {current.name}")
                break
            current = (
                None
                if (member == "Payload" and current.name == "InvocationResponse")
                else current.members[member]
            )
    # THEN every path exists
    assert missing == []


@pytest.mark.parametrize("task", TASKS, ids=_id)
def test_retry_and_catch_errors_are_the_services_own(task: Task) -> None:
    # GIVEN a Task's Retry and Catch error names
    service, _, _ = operation_of(task)
    names = {
        e for block in task.state.get("Retry", []) + task.state.get("Catch", []) for e in block["ErrorEquals"]
    }
    # WHEN the service-specific ones are looked up in the model's error shapes
    model = service_model(service)
    errors = {shape for shape in model.shape_names if model.shape_for(shape).metadata.get("exception")}
    svc = model.service_id.replace(" ", "")
    # Step Functions' names for errors the model does not list: the SDK's client-side failure, the
    # service's generic exception, and AWS's common throttling/internal errors.
    generic = {"SdkClientException", f"{svc}Exception", f"AWS{svc}Exception", f"Amazon{svc}Exception"}
    common = {"ThrottlingException", "ServiceException", "InternalServiceException", "InternalFailure"}
    unknown = []
    for name in names:
        if name.startswith("States."):
            continue
        head, _, error = name.partition(".")
        if head.lower() != svc.lower() or error not in errors | generic | common:
            unknown.append(name)
    # THEN each names an error this service can return (a Personalize error on an Athena call never fires)
    assert unknown == [], f"{service} errors: {sorted(errors)}"
    assert task.state.get("Retry"), "every Task retries something"


@pytest.mark.parametrize("machine", machines(), ids=lambda m: m.logical_id)
def test_every_definition_substitution_is_used_and_none_missing(machine: Any) -> None:
    # GIVEN a definition's placeholders and its DefinitionSubstitutions
    used = set(re.findall(r"\$\{([A-Za-z0-9]+)\}", machine.raw_text))
    # WHEN compared
    # THEN each placeholder is filled, and each substitution is used
    assert sorted(used - set(machine.substitutions)) == []
    assert sorted(set(machine.substitutions) - used) == []
    # AND the filled definition has no placeholder left
    assert "${" not in str(machine.definition)


# ---------------------------------------------------------------- IAM


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def permissions(task: Task) -> list[tuple[str, str, dict[str, str]]]:
    """The (action, resource, context) triples IAM checks for this Task, from its parameters."""
    service, op, _ = operation_of(task)
    p = {k.lower(): v for k, v in api_parameters(task).items()}
    subs = task.machine.substitutions
    out: list[tuple[str, str, dict[str, str]]] = []
    if service == "personalize":
        resource = {
            "CreateDatasetGroup": lambda: _arn("personalize", f"dataset-group/{p['name']}"),
            "CreateSchema": lambda: _arn("personalize", f"schema/{p['name']}"),
            "CreateDataset": lambda: _arn(
                "personalize", f"dataset/{p['datasetgrouparn'].rsplit('/', 1)[1]}/{p['datasettype']}"
            ),
            "CreateDatasetImportJob": lambda: _arn("personalize", f"dataset-import-job/{p['jobname']}"),
            "CreateSolution": lambda: _arn("personalize", f"solution/{p['name']}"),
            "CreateBatchSegmentJob": lambda: _arn("personalize", f"batch-segment-job/{p['jobname']}"),
        }.get(op[0].upper() + op[1:], lambda: next(str(v) for k, v in p.items() if k.endswith("arn")))()
        out.append((f"personalize:{op[0].upper() + op[1:]}", resource, {}))
    elif service == "athena":
        workgroup = p.get("workgroup", subs.get("AthenaWorkGroup"))
        out.append((f"athena:{op[0].upper() + op[1:]}", _arn("athena", f"workgroup/{workgroup}"), {}))
    elif service == "lambda":
        out.append(("lambda:InvokeFunction", str(p["functionname"]), {}))
    elif service == "sns":
        out.append(("sns:Publish", str(p["topicarn"]), {}))
    elif service == "events":
        for entry in p["entries"]:
            out.append(("events:PutEvents", _arn("events", f"event-bus/{entry['EventBusName']}"), {}))
    elif service == "glue":
        job = _arn("glue", f"job/{p['jobname']}")
        out += [("glue:StartJobRun", job, {}), ("glue:GetJobRun", job, {}), ("glue:GetJobRuns", job, {})]
        out.append(("glue:BatchStopJobRun", job, {}))
    elif service == "s3":
        out.append((f"s3:{op[0].upper() + op[1:]}", f"arn:aws:s3:::{p['bucket']}/{p['key']}", {}))
    elif service == "sagemaker":
        name = op[0].upper() + op[1:]
        kind = {
            "CreateTrainingJob": ("training-job", "trainingjobname"),
            "CreateModel": ("model", "modelname"),
            "CreateEndpointConfig": ("endpoint-config", "endpointconfigname"),
            "CreateEndpoint": ("endpoint", "endpointname"),
            "UpdateEndpoint": ("endpoint", "endpointname"),
        }.get(name)
        resource = "*" if kind is None else _arn("sagemaker", f"{kind[0]}/{str(p[kind[1]]).lower()}")
        out.append((f"sagemaker:{name}", resource, {}))
        if task.resource.endswith("createTrainingJob.sync"):
            out += [
                ("sagemaker:DescribeTrainingJob", resource, {}),
                ("sagemaker:StopTrainingJob", resource, {}),
                *(
                    (
                        f"events:{a}",
                        _arn("events", "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"),
                        {},
                    )
                    for a in ("PutTargets", "PutRule", "DescribeRule")
                ),
            ]
        if "tags" in p:
            out.append(("sagemaker:AddTags", resource, {}))
    else:
        raise AssertionError(f"no IAM mapping for {service}:{op}")
    for key in ("rolearn", "executionrolearn"):
        if key in p:
            passed = {"personalize": "personalize.amazonaws.com", "sagemaker": "sagemaker.amazonaws.com"}[
                service
            ]
            out.append(("iam:PassRole", str(p[key]), {"iam:PassedToService": passed}))
    return out


@cache
def machine_statements() -> dict[str, list[dict[str, Any]]]:
    """Each state machine's role statements, from SAM's transform, with realistic values."""
    transformed = sam_transformed()
    resolver = Resolver(transformed)
    managed = {
        resolver.ref(name): as_list(resolver.value(res["Properties"]["PolicyDocument"])["Statement"])
        for name, res in transformed["Resources"].items()
        if res["Type"] == "AWS::IAM::ManagedPolicy"
    }
    out = {}
    for name, res in transformed["Resources"].items():
        if res["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        role_id = res["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        out[name] = role_statements(resolver.value(transformed["Resources"][role_id]), managed)
    return out


@pytest.mark.parametrize("task", TASKS, ids=_id)
def test_every_task_action_is_allowed_by_its_role(task: Task) -> None:
    # GIVEN the state machine's role (as SAM generates it) and what this Task asks of IAM
    statements = machine_statements()[task.machine.logical_id]
    needed = permissions(task)
    # WHEN each action is evaluated against the role's statements
    denied = [(a, r) for a, r, ctx in needed if not allowed(statements, a, r, ctx)]
    # THEN every one is allowed
    assert needed and denied == []
