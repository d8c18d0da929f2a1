"""The insights' and dashboard's cloud resources: the Athena workgroup, the lake-query policy, the function."""

from __future__ import annotations

from typing import Any

from infra_testkit import ROOT, has_build_target, props, resource, sub_text, template

from audience.core.settings import Settings


def _statements(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc["Statement"]}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_workgroup_enforces_results_cutoff_and_encryption() -> None:
    # GIVEN the lake-query workgroup
    config = props("LakeQueryWorkGroup")["WorkGroupConfiguration"]
    # THEN clients cannot override it, queries are capped, results are encrypted in their own bucket
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == {"Ref": "AthenaBytesScannedCutoff"}
    assert config["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_S3"
    assert (
        sub_text(config["ResultConfiguration"]["OutputLocation"]) == "s3://${LakeQueryResultsBucket}/results/"
    )
    bucket = props("LakeQueryResultsBucket")
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 7


def test_lake_query_policy_reads_only_the_lake_prefixes() -> None:
    # GIVEN the managed policy the insights and web functions share
    statements = _statements(props("LakeQueryPolicy")["PolicyDocument"])
    # THEN Athena is scoped to the workgroup, Glue to the lake database, S3 reads to the lake's data prefixes
    assert "workgroup/${LakeQueryWorkGroup}" in sub_text(statements["RunLakeQueries"]["Resource"])
    glue = [sub_text(r) for r in statements["ReadLakeCatalog"]["Resource"]]
    assert all("${LakeDatabase}" in r or r.endswith(":catalog") for r in glue)
    reads = [sub_text(r) for r in statements["ReadLakeData"]["Resource"]]
    assert sorted(r.removeprefix("${LakeBucket.Arn}/") for r in reads) == [
        "engagement-events/*",
        "features/*",
        "predictions/*",
        "reference/*",
        "segments/*",
    ]
    writes = [
        (a, sub_text(r))
        for s in statements.values()
        for a in _list(s["Action"])
        if a in ("s3:PutObject", "s3:DeleteObject")
        for r in _list(s["Resource"])
    ]
    assert writes == [("s3:PutObject", "${LakeQueryResultsBucket.Arn}/results/*")]
    actions = [a for s in statements.values() for a in _list(s["Action"])]
    assert [a for a in actions if "*" in a] == []


def test_insights_function_is_wired() -> None:
    # GIVEN the insights function
    function = resource("InsightsFunction")
    p = function["Properties"]
    env = p["Environment"]["Variables"]
    prefix = Settings.model_config["env_prefix"]
    # THEN it is built like every function, its settings exist, and it reaches its resources
    assert function["Metadata"]["BuildMethod"] == "makefile"
    assert (ROOT / "functions" / "insights" / "app.py").is_file()
    assert has_build_target("InsightsFunction")
    fields = {name[len(prefix) :].lower() for name in env if name.startswith(prefix)}
    assert fields <= set(Settings.model_fields), fields - set(Settings.model_fields)
    assert env[f"{prefix}ATHENA_WORKGROUP"] == {"Ref": "LakeQueryWorkGroup"}
    assert env[f"{prefix}LAKE_DATABASE"] == {"Ref": "LakeDatabase"}
    assert env[f"{prefix}BEDROCK_MODEL_ID"] == {"Ref": "BedrockModelId"}
    policies = p["Policies"]
    assert {"Ref": "LakeQueryPolicy"} in policies
    store = next(d for d in policies if isinstance(d, dict) and "Statement" in d)
    assert sub_text(_statements(store)["StoreInsights"]["Resource"]) == "${LakeBucket.Arn}/insights/*"
    bedrock = next(d for d in policies if isinstance(d, dict) and "Fn::If" in d)["Fn::If"]
    assert bedrock[0] == "HasBedrockModel"
    assert _statements(bedrock[1])["AskBedrock"]["Action"] == "bedrock:InvokeModel"


def test_quicksight_is_optional() -> None:
    # GIVEN the QuickSight resources THEN they exist only when the parameter asks for them
    assert template()["Parameters"]["EnableQuickSight"]["Default"] == "false"
    for name in ("QuickSightLakeDataSource", "QuickSightEngagementDataSet"):
        assert resource(name)["Condition"] == "CreateQuickSight"
    assert props("QuickSightLakeDataSource")["DataSourceParameters"]["AthenaParameters"]["WorkGroup"] == {
        "Ref": "LakeQueryWorkGroup"
    }
