"""The Explorer's resources in template.yaml: the segmentation job, the web API's sign-in, the web function."""

from __future__ import annotations

import json
from typing import Any

from infra_testkit import ROOT, props, resource, source, sub_text, template


def _statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def test_explorer_job_runs_the_segmentation_script_after_user_features() -> None:
    # GIVEN the segmentation job and its trigger
    job = props("ExplorerSegmentationJob")
    trigger = props("ExplorerSegmentationTrigger")
    # WHEN read
    args = job["DefaultArguments"]
    # THEN it is Glue 5.0 running the script that exists, with our library and pinned scikit-learn
    assert job["GlueVersion"] == "5.0" and job["Command"]["Name"] == "glueetl"
    assert (source("ExplorerSegmentationJob").parent / job["Command"]["ScriptLocation"]).is_file()
    assert sub_text(args["--extra-py-files"]).endswith("/artifacts/glue/explorer_lib.zip")
    assert "scikit-learn==1.9.1" in args["--additional-python-modules"].split(",")
    assert job["Role"] == {"Fn::GetAtt": ["ExplorerJobRole", "Arn"]}
    # AND it starts when the user features succeed
    assert trigger["Type"] == "CONDITIONAL" and trigger["StartOnCreation"] is True
    (condition,) = trigger["Predicate"]["Conditions"]
    assert condition == {
        "LogicalOperator": "EQUALS",
        "JobName": {"Ref": "UserFeaturesJob"},
        "State": "SUCCEEDED",
    }
    assert trigger["Actions"] == [{"JobName": {"Ref": "ExplorerSegmentationJob"}}]


def test_explorer_job_role_writes_only_segments() -> None:
    # GIVEN the job's role
    (policy,) = props("ExplorerJobRole")["Policies"]
    statements = _statements(policy["PolicyDocument"])
    # WHEN its write statement is read
    write = statements["WriteSegments"]
    # THEN writes go to segments/ (and Glue's scratch) only, and no statement is a wildcard on S3
    assert {sub_text(r) for r in write["Resource"]} == {
        "${LakeBucket.Arn}/segments/*",
        "${LakeBucket.Arn}/glue-temp/*",
    }
    for statement in statements.values():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not [a for a in actions if a.endswith("*")], statement["Sid"]


def test_web_api_requires_a_cognito_token_except_on_public_shells() -> None:
    # GIVEN the web API and the web function's routes
    auth = props("WebApi")["Auth"]
    events = props("WebFunction")["Events"]
    # WHEN the authorizers are read
    public = {
        e["Properties"]["Path"]
        for e in events.values()
        if e["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
    }
    guarded = {e["Properties"]["Path"] for e in events.values() if "Auth" not in e["Properties"]}
    # THEN the pool's authorizer is the default, and only pages, static files, sign-in config and health skip it
    assert auth["DefaultAuthorizer"] == "WebCognito"
    assert auth["Authorizers"]["WebCognito"]["UserPoolArn"] == {"Fn::GetAtt": ["ExplorerUserPool", "Arn"]}
    assert public == {"/explorer", "/dashboard", "/static/{proxy+}", "/auth/config.json", "/health"}
    assert guarded == {"/api/{proxy+}"}
    # AND the pool is invite-only
    assert props("ExplorerUserPool")["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_web_function_finds_its_client_by_the_name_the_template_gives_it() -> None:
    # GIVEN the app client and the web function's environment
    client = props("ExplorerUserPoolClient")
    env = props("WebFunction")["Environment"]["Variables"]
    # WHEN compared
    # THEN the function looks up exactly that client, in that pool, and the callback is the page
    assert env["AUDIENCE_AUTH_CLIENT_NAME"] == client["ClientName"]
    assert env["AUDIENCE_AUTH_USER_POOL_ID"] == {"Ref": "ExplorerUserPool"}
    assert client["UserPoolId"] == {"Ref": "ExplorerUserPool"}
    assert [sub_text(u) for u in client["CallbackURLs"]] == [
        "https://${WebApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/explorer",
        "https://${WebApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/dashboard",
    ]
    # AND it has no reference to the client (that would be a dependency cycle through the API)
    assert "ExplorerUserPoolClient" not in json.dumps(props("WebFunction"))


def test_web_function_is_built_with_the_web_extra_and_reads_only_its_prefixes() -> None:
    # GIVEN the web function and the SAM build makefile
    function = resource("WebFunction")
    makefile = (ROOT / "scripts" / "sam-build.mk").read_text()
    (policy,) = [p for p in function["Properties"]["Policies"] if isinstance(p, dict) and "Statement" in p]
    assert {"Ref": "LakeQueryPolicy"} in function["Properties"]["Policies"]  # the dashboard's lake SQL
    statements = _statements(policy)
    # WHEN read
    # THEN sam build packages it with the `web` extra and D3, and it reads segments and predictions
    assert function["Metadata"]["BuildMethod"] == "makefile"
    assert (
        "build-WebFunction:" in makefile
        and "LAMBDA_EXTRAS=web" in makefile
        and "LAMBDA_WEB_VENDOR=1" in makefile
    )
    assert {sub_text(r) for r in statements["ReadSegmentsAndPredictions"]["Resource"]} == {
        "${LakeBucket.Arn}/segments/*",
        "${LakeBucket.Arn}/predictions/*",
        "${LakeBucket.Arn}/exports/*",
        "${LakeBucket.Arn}/personalize/recommendations/reports/*",  # the Recommendations page
    }
    assert sub_text(statements["WriteExports"]["Resource"]) == "${LakeBucket.Arn}/exports/*"
    assert "ExplorerUrl" in template()["Outputs"]


def test_web_client_signs_in_with_the_code_flow_only() -> None:
    # GIVEN the hosted UI's app client
    client = props("ExplorerUserPoolClient")
    # WHEN its OAuth settings are read
    # THEN only the authorization code flow is allowed (PKCE, a public client without a secret):
    # the implicit grant, which OAuth 2.1 drops, is not
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["GenerateSecret"] is False and client["AllowedOAuthFlowsUserPoolClient"] is True
