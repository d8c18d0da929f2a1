"""Who may call whom, as AWS would decide it: rule targets against the targets' resource policies or
roles, the Bedrock policy against a cross-region inference profile, and schedule names per stack."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from cfn_values import ACCOUNT, REGION, STACK, Resolver
from iam import allowed, as_list
from template_testkit import conformance_covers, sam_transformed


@cache
def resolver() -> Resolver:
    return Resolver(sam_transformed())


def _of_type(kind: str) -> dict[str, Any]:
    return {k: v for k, v in sam_transformed()["Resources"].items() if v["Type"] == kind}


def rule_targets() -> list[tuple[str, int]]:
    return [
        (name, i)
        for name, res in _of_type("AWS::Events::Rule").items()
        if conformance_covers(name.split("Rule")[0] if name not in sam_transformed()["Resources"] else name)
        and conformance_covers(_owner(name))
        for i, _ in enumerate(res["Properties"]["Targets"])
    ]


def _owner(generated: str) -> str:
    """The SAM resource a generated one comes from (its logical id's longest known prefix)."""
    from template_testkit import templates

    known = sorted(templates().sources, key=len, reverse=True)
    return next((k for k in known if generated.startswith(k)), generated)


def _topic_statements(topic_arn: str) -> list[dict[str, Any]]:
    r = resolver()
    out: list[dict[str, Any]] = []
    for res in _of_type("AWS::SNS::TopicPolicy").values():
        props = r.value(res["Properties"])
        if topic_arn in props["Topics"]:
            out += as_list(props["PolicyDocument"]["Statement"])
    return out


@pytest.mark.parametrize(("rule", "index"), rule_targets(), ids=lambda v: str(v))
def test_every_rule_target_is_allowed_by_the_targets_policy(rule: str, index: int) -> None:
    # GIVEN one EventBridge rule's target, with the values the deployed stack would have
    r = resolver()
    props = sam_transformed()["Resources"][rule]["Properties"]
    target = r.value(props["Targets"][index])
    rule_arn = r.get_att(rule, "Arn")
    arn = str(target["Arn"])
    # WHEN the target's side is asked whether events.amazonaws.com may deliver for this rule
    if arn.startswith("arn:aws:sns:"):
        # an SNS topic: its topic policy must allow events.amazonaws.com, for this rule's ARN
        statements = [
            s for s in _topic_statements(arn) if s.get("Principal") in ({"Service": "events.amazonaws.com"},)
        ]
        ok = allowed(
            statements, "sns:Publish", arn, {"aws:SourceArn": rule_arn, "aws:SourceAccount": ACCOUNT}
        )
    elif arn.startswith("arn:aws:states:"):
        # a state machine: the target's role must trust EventBridge and may start this machine
        role_id = props["Targets"][index]["RoleArn"]["Fn::GetAtt"][0]
        role = r.value(sam_transformed()["Resources"][role_id])["Properties"]
        trust = as_list(role["AssumeRolePolicyDocument"]["Statement"])
        assert any("events.amazonaws.com" in as_list(s["Principal"].get("Service", [])) for s in trust)
        statements = [s for p in role["Policies"] for s in as_list(p["PolicyDocument"]["Statement"])]
        ok = allowed(statements, "states:StartExecution", arn)
    else:
        raise AssertionError(f"{rule}: no check for a target of this kind: {arn}")
    # THEN delivery is allowed (a rule the target refuses fails silently, event by event)
    assert ok, f"{rule} -> {arn} is not allowed"


def test_every_schedule_has_a_name_of_its_own_stack() -> None:
    # GIVEN the EventBridge Scheduler schedules SAM generates (ScheduleV2 events)
    r = resolver()
    schedules = {k: r.value(v["Properties"]) for k, v in _of_type("AWS::Scheduler::Schedule").items()}
    # WHEN their names are read  THEN each is set and carries the stack's name, so two stacks in one
    # account (audience-dev beside audience-prod) never collide
    assert len(schedules) >= 2
    for name, props in schedules.items():
        assert str(props.get("Name", "")).startswith(f"{STACK}-"), name
        assert len(props["Name"]) <= 64


def _function_statements(function: str) -> list[dict[str, Any]]:
    transformed = sam_transformed()
    r = resolver()
    role_id = transformed["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = r.value(transformed["Resources"][role_id])["Properties"]
    return [s for p in role.get("Policies", []) for s in as_list(p["PolicyDocument"]["Statement"])]


def test_insights_may_invoke_a_cross_region_inference_profile_and_the_models_it_routes_to() -> None:
    # GIVEN BedrockModelId set to a US cross-region inference profile (cfn_values' realistic value)
    profile_id = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    assert resolver().params["BedrockModelId"] == profile_id
    statements = _function_statements("InsightsFunction")
    profile = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{profile_id}"
    # WHEN the call through the profile is routed to the model in another region
    routed = "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"
    # THEN both the profile and the routed model are allowed, the model only through this profile
    assert allowed(statements, "bedrock:InvokeModel", profile)
    assert allowed(statements, "bedrock:InvokeModel", routed, {"bedrock:InferenceProfileArn": profile})
    assert not allowed(statements, "bedrock:InvokeModel", routed)
    other = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/eu.meta.llama3-2-1b-instruct-v1:0"
    assert not allowed(statements, "bedrock:InvokeModel", routed, {"bedrock:InferenceProfileArn": other})


def test_the_training_workflow_starts_once_per_upload() -> None:
    # GIVEN the S3 rule that starts the Personalize training workflow
    r = resolver()
    rules = [
        r.value(v["Properties"])
        for v in _of_type("AWS::Events::Rule").values()
        if v["Properties"].get("EventPattern", {}).get("source") == ["aws.s3"]
    ]
    # WHEN its pattern is read
    (pattern,) = [rule["EventPattern"] for rule in rules]
    keys = pattern["detail"]["object"]["key"]
    # THEN it matches one object, the manifest written last, not every file of the upload
    assert keys == ["personalize/input/manifest.json"]
    assert pattern["detail-type"] == ["Object Created"]
