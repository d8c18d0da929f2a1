"""The influencers stack: its tables agree with the derived contract, the root template wires the
route and the stream, and the scheduler's input is a valid Glue StartJobRun request."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.validate import ParamValidator
from cfnlint.decode import decode
from infra_testkit import ROOT, has_build_target, props, resource

from schemas import derive


def _stack() -> dict[str, Any]:
    data, matches = decode(str(ROOT / "stacks" / "influencers.yaml"))
    assert not matches and data is not None
    return data


def _columns(table: dict[str, Any]) -> list[dict[str, str]]:
    return table["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]


def test_social_posts_table_has_the_derived_columns_and_projection() -> None:
    stack = _stack()
    table = stack["Resources"]["SocialPostsTable"]
    document = derive.social_glue_document()
    assert _columns(table) == document["columns"]
    assert table["Properties"]["TableInput"]["PartitionKeys"] == document["partition_keys"]
    assert table["Properties"]["TableInput"]["Parameters"]["projection.enabled"] == "true"


def test_result_tables_have_the_result_models_columns() -> None:
    stack = _stack()
    results = derive.social_glue_document()["results"]
    assert _columns(stack["Resources"]["InfluencerCascadesTable"]) == results["cascades"]["columns"]
    assert _columns(stack["Resources"]["InfluencerScoresTable"]) == results["scores"]["columns"]


def test_root_template_nests_the_stack_and_routes_social_posts() -> None:
    app = resource("InfluencersApp")
    assert app["Type"] == "AWS::Serverless::Application"
    assert app["Properties"]["Location"] == "stacks/influencers.yaml"
    ingest = props("IngestFunction")
    route = ingest["Events"]["PostSocialPosts"]["Properties"]
    assert (route["Path"], route["Method"], route["Auth"]["ApiKeyRequired"]) == (
        "/social/posts",
        "post",
        True,
    )
    env = ingest["Environment"]["Variables"]
    # (the route is Collect's; its stream is this stack's, read as one stack by template_testkit)
    assert env["AUDIENCE_SOCIAL_DELIVERY_STREAM"] == {"Ref": "SocialDeliveryStream"}
    stack_params = set(_stack()["Parameters"])
    required = {k for k, v in _stack()["Parameters"].items() if "Default" not in v}
    given = set(app["Properties"]["Parameters"])
    assert required <= given <= stack_params


def test_scheduler_starts_the_job_with_a_valid_request() -> None:
    stack = _stack()
    target = stack["Resources"]["ScoringSchedule"]["Properties"]["Target"]
    assert target["Arn"]["Fn::Sub"].endswith(":aws-sdk:glue:startJobRun")
    body = json.loads(
        target["Input"]["Fn::Sub"].replace("${InfluencerScoringJob}", "stack-influencer-scoring")
    )
    model = botocore.session.get_session().get_service_model("glue").operation_model("StartJobRun")
    report = ParamValidator().validate(body, model.input_shape)
    assert not report.has_errors(), report.generate_report()
    job = stack["Resources"]["InfluencerScoringJob"]["Properties"]
    assert (
        job["GlueVersion"] == "5.0"
        and job["Command"]["ScriptLocation"] == "../glue_jobs/influencer_scoring.py"
    )
    assert (ROOT / "glue_jobs" / "influencer_scoring.py").is_file()


def test_the_allocator_has_its_own_function_on_the_web_api_behind_cognito() -> None:
    # GIVEN the web stack (read as one stack with the root by template_testkit)
    fn = props("InfluencerAllocateFunction")
    web = props("WebFunction")
    # THEN the allocator route is its own function on the web API, with the API's default (Cognito)
    # authoriser: no Auth override, unlike the web function's public page routes
    route = fn["Events"]["Allocate"]["Properties"]
    assert (route["Path"], route["Method"], route["RestApiId"]) == (
        "/api/influencers/allocate",
        "post",
        {"Ref": "WebApi"},
    )
    assert "Auth" not in route
    assert web["Events"]["Api"]["Properties"]["Path"] == "/api/{proxy+}"  # the rest stays the web app's
    # AND it is built with scipy (the `recommend` extra), reads the serving table, and its handler imports
    assert has_build_target("InfluencerAllocateFunction")
    assert fn["Environment"]["Variables"]["AUDIENCE_INFLUENCERS_TABLE"] == {"Ref": "InfluencersTable"}
    (statement,) = fn["Policies"][0]["Statement"]
    assert set(statement["Action"]) == {"dynamodb:GetItem", "dynamodb:Query"}
    module, attr = fn["Handler"].rsplit(".", 1)
    assert callable(getattr(__import__(module, fromlist=[attr]), attr))
