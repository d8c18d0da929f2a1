"""The segment workflows in the template: definitions valid, placeholders filled, triggers wired,
permissions scoped, and the generated training definition current."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from infra_testkit import ROOT, has_build_target, props, resource, source, template

MACHINES = {
    "PersonalizeTrainingStateMachine": ROOT / "statemachines" / "personalize_training.asl.json",
    "SegmentPostprocessStateMachine": ROOT / "statemachines" / "segment_postprocess.asl.json",
}
VALIDATOR = ROOT / "node_modules" / ".bin" / "asl-validator"


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_segment_state_machine_passes_asl_validator(machine: str) -> None:
    # GIVEN a definition  WHEN asl-validator checks its structure  THEN it is valid
    if not VALIDATOR.exists() or shutil.which("node") is None:
        pytest.fail("asl-validator missing: run `make setup` (npm ci)")
    proc = subprocess.run(
        [str(VALIDATOR), "--json-path", str(MACHINES[machine])], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_segment_state_machine_placeholders_are_all_substituted(machine: str) -> None:
    # GIVEN the definition's ${Placeholders} and the template's DefinitionSubstitutions
    text = MACHINES[machine].read_text()
    used = set(re.findall(r"\$\{([A-Za-z0-9]+)\}", text))
    properties = props(machine)
    # WHEN compared  THEN they are the same set, and the template points at the file
    assert used == set(properties["DefinitionSubstitutions"])
    assert (source(machine).parent / properties["DefinitionUri"]).resolve() == MACHINES[machine].resolve()


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_segment_state_machine_tasks_retry_and_catch(machine: str) -> None:
    # GIVEN every Task state
    states = json.loads(MACHINES[machine].read_text())["States"]
    tasks = {n: s for n, s in states.items() if s["Type"] == "Task"}
    # WHEN their error handling is read  THEN each retries, and each catches (failure paths end in Fail)
    assert tasks
    for name, state in tasks.items():
        assert state.get("Retry"), name
        assert state.get("Catch"), name
    assert any(s["Type"] == "Fail" for s in states.values())
    # AND every Wait takes its seconds from the execution (tests pass 0) rather than a constant
    assert all("SecondsPath" in s for s in states.values() if s["Type"] == "Wait")


def test_segment_training_definition_is_what_the_generator_writes() -> None:
    # GIVEN the generator  WHEN run with --check  THEN the committed definition is current
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_personalize_asl.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    text = MACHINES["PersonalizeTrainingStateMachine"].read_text()
    assert "arn:aws:personalize:::recipe/aws-item-attribute-affinity" in text


def test_segment_workflows_are_triggered_by_data_schedule_and_the_bus() -> None:
    # GIVEN the two state machines' events
    training = props("PersonalizeTrainingStateMachine")["Events"]
    post = props("SegmentPostprocessStateMachine")["Events"]["BatchSegmentJobFinished"]["Properties"]
    # WHEN read  THEN an upload's manifest (written last, one object per upload) and a schedule
    # start training
    pattern = training["NewTrainingData"]["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail"]["object"]["key"] == [
        "personalize/input/manifest.json"
    ]
    assert training["Schedule"]["Type"] == "ScheduleV2"
    assert training["Schedule"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}-personalize-training"}
    assert (
        props("LakeBucket")["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"]
        is True
    )
    # AND post-processing listens to the training workflow's own event on the custom bus
    assert post["EventBusName"] == {"Ref": "AudienceEventBus"}
    assert post["Pattern"]["detail-type"] == ["Batch segment job finished"]
    text = MACHINES["PersonalizeTrainingStateMachine"].read_text()
    assert '"DetailType": "Batch segment job finished"' in text


def test_segment_destination_is_a_parameter_passed_to_the_function() -> None:
    # GIVEN the parameter and the post-processing function
    parameter = template()["Parameters"]["ActivationDestination"]
    env = props("SegmentPostprocessFunction")["Environment"]["Variables"]
    # WHEN read  THEN the three destinations are offered and reach the function's settings
    assert parameter["AllowedValues"] == ["files", "pinpoint", "connect"]
    assert env["AUDIENCE_ACTIVATION_DESTINATION"] == {"Ref": "ActivationDestination"}
    assert "2026-10-30" in parameter["Description"]
    for name in ("ValidateQueriesFunction", "SegmentPostprocessFunction"):
        assert resource(name)["Metadata"]["BuildMethod"] == "makefile"
    assert has_build_target("ValidateQueriesFunction")
    assert has_build_target("SegmentPostprocessFunction")


def test_segment_personalize_role_reads_only_personalize_prefixes() -> None:
    # GIVEN the role Personalize assumes
    role = props("PersonalizeRole")
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    resources = [
        r for s in statements for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    # WHEN its S3 resources are read  THEN they are all under personalize/ (or the bucket, for listing)
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "personalize.amazonaws.com"
    }
    for r in resources:
        assert r == {"Fn::GetAtt": ["LakeBucket", "Arn"]} or r["Fn::Sub"].startswith(
            "${LakeBucket.Arn}/personalize/"
        ), r
