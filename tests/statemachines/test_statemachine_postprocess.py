"""The segment post-processing state machine, executed by moto with the real Lambda handler in-process.

The handler runs against moto's S3 (job output, endpoint mapping, file destination); Pinpoint's
CreateImportJob, which moto lacks, is faked through the harness.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from personalize_fakes import BUCKET, aws_backend_env, lambda_fake, observers, substitutions
from sfn_testkit import FakeServiceError, entered_states, run_execution, sfn_harness

from audience.activation.endpoints import ENDPOINTS_KEY, PROFILE_CHANNEL, encode_mapping
from functions.segment_postprocess.app import handler as postprocess_handler

DEFINITION = (Path(__file__).parents[2] / "statemachines" / "segment_postprocess.asl.json").read_text()
OUTPUT_KEY = "personalize/segments/run-1/queries.json.out"
OUTPUT = "\n".join(
    [
        json.dumps(
            {"itemAttributes": 'ITEMS.genres = "Action"', "output": {"recommendedUsers": ["u1", "u2", "u3"]}}
        ),
        json.dumps(
            {"input": {"itemAttributes": 'ITEMS.genres = "Comedy"'}, "output": {"usersList": ["u3", "u4"]}}
        ),
        json.dumps({"itemAttributes": 'ITEMS.genres = "Nope"', "error": "no items match"}),
    ]
)


def _event() -> dict[str, Any]:
    """The bus event the training workflow publishes (events/segment_job_finished.json), for this test's bucket."""
    event: dict[str, Any] = json.loads(
        (Path(__file__).parents[2] / "events" / "segment_job_finished.json").read_text()
    )
    event["detail"].update(bucket=BUCKET, output_key=OUTPUT_KEY)
    return event


def _setup(harness: Any, output: str = OUTPUT) -> Any:
    obs = observers(harness)
    s3 = harness.client("s3")
    s3.put_object(Bucket=BUCKET, Key=OUTPUT_KEY, Body=output.encode())
    rows = [(u, "EMAIL", f"ep-{u}", u != "u2") for u in ("u1", "u2", "u3", "u4")]
    rows += [(u, PROFILE_CHANNEL, u, True) for u in ("u1", "u2", "u3", "u4")]
    s3.put_object(Bucket=BUCKET, Key=ENDPOINTS_KEY, Body=encode_mapping(rows))
    harness.fake("lambda", "Invoke", lambda_fake({"segment-postprocess": postprocess_handler}))
    return obs


def _objects(harness: Any, prefix: str) -> list[str]:
    listed = harness.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"] for o in listed)


def test_postprocess_workflow_activates_every_line_to_files_and_reports_the_error_line() -> None:
    with sfn_harness() as harness, aws_backend_env(AUDIENCE_ACTIVATION_DESTINATION="files"):
        # GIVEN a job output with both key variants and an error line, and the endpoint mapping
        obs = _setup(harness)
        # WHEN the state machine runs on the bus event
        result = run_execution(DEFINITION, _event(), substitutions=substitutions(obs.topic_arn))
        # THEN it succeeds, and both good lines became named segments in the S3 file destination
        assert result["status"] == "SUCCEEDED", result.get("cause")
        day = json.loads(result["output"])["result"]["report"]["segments"][0]["name"].rsplit("-", 3)[1:]
        files = _objects(harness, "activation/files/")
        assert len(files) == 6 and all("-".join(day) in f for f in files)
        assert any(f.endswith("genres-action-" + "-".join(day) + ".manifest.json") for f in files)
        # AND the bus event reports 2 activated, 1 failed with its reason
        [event] = obs.drain(harness, obs.events_queue)
        assert event["detail-type"] == "Segments activated"
        assert (event["detail"]["succeeded"], event["detail"]["failed"]) == (2, 1)
        assert event["detail"]["segments"][2]["error"] == "no items match"
        [message] = obs.drain(harness, obs.topic_queue)
        assert "2 segment(s) handed to files, 1 failed" in message


def test_postprocess_workflow_rerun_writes_the_same_segments_again() -> None:
    with sfn_harness() as harness, aws_backend_env(AUDIENCE_ACTIVATION_DESTINATION="files"):
        # GIVEN a job already post-processed once
        obs = _setup(harness)
        first = run_execution(DEFINITION, _event(), substitutions=substitutions(obs.topic_arn), name="first")
        before = _objects(harness, "activation/files/")
        # WHEN the same event is delivered again (EventBridge delivers at least once)
        second = run_execution(
            DEFINITION, _event(), substitutions=substitutions(obs.topic_arn), name="second"
        )
        # THEN it succeeds again and replaces the same files rather than adding new ones
        assert first["status"] == second["status"] == "SUCCEEDED"
        assert _objects(harness, "activation/files/") == before


def test_postprocess_workflow_imports_into_pinpoint_with_two_calls_per_segment() -> None:
    env = {
        "AUDIENCE_ACTIVATION_DESTINATION": "pinpoint",
        "AUDIENCE_PINPOINT_APPLICATION_ID": "app-1",
        "AUDIENCE_PINPOINT_IMPORT_ROLE_ARN": "arn:aws:iam::123456789012:role/pinpoint-import",
    }
    with sfn_harness() as harness, aws_backend_env(**env):
        # GIVEN Pinpoint accepting import jobs
        obs = _setup(harness)
        harness.fake(
            "pinpoint",
            "CreateImportJob",
            lambda p: {
                "ImportJobResponse": {
                    "Id": f"job-{p['ImportJobRequest']['SegmentName']}",
                    "JobStatus": "CREATED",
                }
            },
        )
        # WHEN the state machine runs
        result = run_execution(DEFINITION, _event(), substitutions=substitutions(obs.topic_arn))
        # THEN each good line became one static segment import of its opted-in e-mail endpoints
        assert result["status"] == "SUCCEEDED", result.get("cause")
        calls = harness.called("pinpoint", "CreateImportJob")
        assert [c["ImportJobRequest"]["DefineSegment"] for c in calls] == [True, True]
        action = harness.client("s3").get_object(
            Bucket=BUCKET, Key=calls[0]["ImportJobRequest"]["S3Url"].split(BUCKET + "/")[1]
        )
        assert action["Body"].read().decode() == "Id\nep-u1\nep-u3\n"  # u2 opted out
        report = json.loads(result["output"])["result"]["report"]
        assert (
            report["api_calls_per_segment"] == 2.5
        )  # PutObject + CreateImportJob, plus 1 mapping read per job


def test_postprocess_workflow_failure_names_the_step_and_notifies() -> None:
    with sfn_harness() as harness, aws_backend_env(AUDIENCE_ACTIVATION_DESTINATION="files"):
        # GIVEN an event pointing at an output file that does not exist
        obs = _setup(harness)
        event = _event()
        event["detail"]["output_key"] = "personalize/segments/missing/queries.json.out"
        # WHEN the state machine runs
        result = run_execution(DEFINITION, event, substitutions=substitutions(obs.topic_arn))
        # THEN it fails at the post-processing step, and says so on the bus and the topic
        assert result["status"] == "FAILED"
        assert result["cause"].startswith("Post-process segments: FileNotFoundError")
        assert "Failed at Post-process segments" in entered_states(result)
        [event_out] = obs.drain(harness, obs.events_queue)
        assert event_out["detail-type"] == "Segment post-processing failed"
        [message] = obs.drain(harness, obs.topic_queue)
        assert "failed at step Post-process segments" in message


def test_postprocess_workflow_fails_when_the_destination_refuses_every_segment() -> None:
    env = {
        "AUDIENCE_ACTIVATION_DESTINATION": "pinpoint",
        "AUDIENCE_PINPOINT_APPLICATION_ID": "app-1",
        "AUDIENCE_PINPOINT_IMPORT_ROLE_ARN": "arn:aws:iam::123456789012:role/pinpoint-import",
    }
    with sfn_harness() as harness, aws_backend_env(**env):
        # GIVEN Pinpoint refusing imports
        obs = _setup(harness)

        def refuse(params: dict[str, Any]) -> dict[str, Any]:
            raise FakeServiceError("ForbiddenException", "application app-1 does not allow imports", 403)

        harness.fake("pinpoint", "CreateImportJob", refuse)
        # WHEN the state machine runs
        result = run_execution(DEFINITION, _event(), substitutions=substitutions(obs.topic_arn))
        # THEN the execution fails with every line's reason
        assert result["status"] == "FAILED"
        assert "NoSegmentActivatedError" in result["cause"] and "ForbiddenException" in result["cause"]
