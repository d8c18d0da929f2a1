"""template.yaml and samconfig.toml: cfn-lint, agreement with the data contract and settings, security.

The template is read with cfn-lint's decoder (it understands ``!Ref``/``!Sub``); the API's routes are
checked on SAM's own transform of it, run in the SAM CLI environment (tools/sam/.venv).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from infra_testkit import (
    ROOT,
    SAMCONFIG,
    TEMPLATE,
    globals_of,
    props,
    resource,
    source,
    sub_text,
    template,
    template_files,
)
from template_testkit import CONFORMANCE_PENDING, sam_transformed, templates

from audience.core.settings import Settings
from schemas.derive import LAKE_PARTITION_KEYS, glue_columns

LAKE_PREFIX = "engagement-events/"


def resources_of(type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == type_}


def samconfig() -> dict[str, Any]:
    return tomllib.loads(SAMCONFIG.read_text())


def overrides(env: str) -> dict[str, str]:
    items = samconfig()[env]["deploy"]["parameters"]["parameter_overrides"]
    items = items.split() if isinstance(items, str) else items
    return dict(item.split("=", 1) for item in items)


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    return found if isinstance(found, list) else [found]


def policy_documents() -> list[dict[str, Any]]:
    """Every inline policy document in the template (SAM function policies and IAM roles)."""
    docs = []
    for res in template()["Resources"].values():
        properties = res.get("Properties", {})
        for policy in properties.get("Policies", []):
            if isinstance(policy, dict):
                docs.append(policy.get("PolicyDocument", policy))
        if "PolicyDocument" in properties:
            docs.append(properties["PolicyDocument"])
    return docs


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    """The CloudFormation SAM generates from template.yaml and each nested template (what
    CloudFormation would receive), merged like ``template()``."""
    return sam_transformed()


# ------------------------------------------------------------------ lint


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_template_passes_cfn_lint_without_errors_or_warnings(path: Path) -> None:
    # GIVEN the project's pinned cfn-lint and one template (the root or a nested application)
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    # WHEN it checks the template
    proc = subprocess.run([str(cfn_lint), str(path)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    # THEN it reports nothing (exit code 2 = errors, 4 = warnings, 8 = informational)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == ""


def test_root_template_nests_one_application_per_concern() -> None:
    # GIVEN the root template's nested applications
    files = templates().files
    # WHEN their locations are read
    nested = {key: path.relative_to(ROOT).as_posix() for key, path in files.items() if key}
    # THEN each concern is a local template under stacks/, and `make lint` checks every one of them
    assert {"Collect", "Lake", "Features", "Models", "Activation", "Web"} <= set(nested)
    assert all(p.startswith("stacks/") and (ROOT / p).is_file() for p in nested.values())
    assert "cfn-lint template.yaml stacks/*.yaml" in (ROOT / "Makefile").read_text()
    # AND the root keeps no function of its own (each nested template has its Globals)
    assert not [
        k for k, v in templates().raw[""]["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    ]


# ------------------------------------------------------------------ contract


def test_glue_table_columns_equal_the_lake_record_model() -> None:
    # GIVEN the Glue table declared in the template
    table = props("EngagementEventsTable")["TableInput"]
    # WHEN its columns and partition keys are compared with the contract
    columns = table["StorageDescriptor"]["Columns"]
    partitions = table["PartitionKeys"]
    # THEN they are exactly the model's, in order
    assert columns == glue_columns()
    assert partitions == [{"Name": name, "Type": type_} for name, type_ in LAKE_PARTITION_KEYS]


def test_glue_table_reads_parquet_from_the_firehose_prefix() -> None:
    # GIVEN the table and the delivery stream
    table = props("EngagementEventsTable")["TableInput"]
    destination = props("EventsDeliveryStream")["ExtendedS3DestinationConfiguration"]
    storage = table["StorageDescriptor"]
    # WHEN their formats and locations are compared
    conversion = destination["DataFormatConversionConfiguration"]
    schema = conversion["SchemaConfiguration"]
    # THEN Firehose writes Parquet, using this table's schema, where the table reads Parquet
    assert conversion["Enabled"] is True
    assert "HiveJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    assert conversion["OutputFormatConfiguration"]["Serializer"]["ParquetSerDe"]["Compression"] == "SNAPPY"
    assert schema["TableName"] == {"Ref": "EngagementEventsTable"}
    assert schema["DatabaseName"] == {"Ref": "LakeDatabase"}
    assert schema["VersionId"] == "LATEST"
    assert storage["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert storage["InputFormat"].endswith("MapredParquetInputFormat")
    assert sub_text(storage["Location"]) == f"s3://${{LakeBucket}}/{LAKE_PREFIX}"
    assert destination["Prefix"].startswith(LAKE_PREFIX)
    # AND failed records land outside the table, so Athena never reads them
    assert not destination["ErrorOutputPrefix"].startswith(LAKE_PREFIX)


def test_firehose_prefix_and_partition_projection_agree_on_year_month_day() -> None:
    # GIVEN the Firehose prefix and the table's projection parameters
    prefix = props("EventsDeliveryStream")["ExtendedS3DestinationConfiguration"]["Prefix"]
    parameters = props("EngagementEventsTable")["TableInput"]["Parameters"]
    keys = [name for name, _ in LAKE_PARTITION_KEYS]
    # WHEN the partition segments are read from both
    written = re.findall(r"(\w+)=!\{timestamp:(\w+)\}/", prefix)
    location = sub_text(parameters["storage.location.template"])
    # THEN Firehose writes year=yyyy/month=MM/day=dd, the partition keys in order
    assert [name for name, _ in written] == keys
    assert [fmt for _, fmt in written] == ["yyyy", "MM", "dd"]
    assert prefix == LAKE_PREFIX + "".join(f"{k}=!{{timestamp:{f}}}/" for k, f in written)
    # AND Athena projects exactly those folders, zero-padded like Firehose's MM and dd
    assert parameters["projection.enabled"] == "true"
    assert location == f"s3://${{LakeBucket}}/{LAKE_PREFIX}" + "".join(f"{k}=${{{k}}}/" for k in keys)
    for key in keys:
        assert parameters[f"projection.{key}.type"] == "integer"
    assert parameters["projection.month.range"] == "1,12"
    assert parameters["projection.day.range"] == "1,31"
    assert parameters["projection.month.digits"] == parameters["projection.day.digits"] == "2"


def test_function_environment_names_are_settings_fields() -> None:
    # GIVEN the ingest function's environment and the settings model
    env = props("IngestFunction")["Environment"]["Variables"]
    prefix = Settings.model_config["env_prefix"]
    # WHEN the AUDIENCE_* names are mapped to settings fields
    fields = {name[len(prefix) :].lower() for name in env if name.startswith(prefix)}
    # THEN every one is a field (a renamed setting fails here), and the AWS backend has its resources
    assert fields <= set(Settings.model_fields), fields - set(Settings.model_fields)
    assert {"backend", "stage", "lake_bucket", "delivery_stream", "counters_table"} <= fields
    assert {"allowed_origins", "max_events", "max_event_age_days"} <= fields
    assert env[f"{prefix}BACKEND"] == "aws"
    assert env[f"{prefix}COUNTERS_TABLE"] == {"Ref": "CountersTable"}
    assert env[f"{prefix}DELIVERY_STREAM"] == {"Ref": "EventsDeliveryStream"}
    assert env[f"{prefix}LAKE_BUCKET"] == {"Ref": "LakeBucket"}
    assert all(name.startswith((prefix, "POWERTOOLS_")) for name in env)


def test_function_packaging_and_runtime() -> None:
    # GIVEN the ingest function and the globals of its template
    globals_ = globals_of("IngestFunction")["Function"]
    function = resource("IngestFunction")
    handler = function["Properties"]["Handler"]
    # WHEN the handler path is resolved against the repository
    module, _, attribute = handler.rpartition(".")
    # THEN it is one package built by scripts/sam-build.mk, on python3.13 x86_64, within the API timeout
    assert function["Metadata"]["BuildMethod"] == "makefile"
    assert (source("IngestFunction").parent / function["Properties"]["CodeUri"]).resolve() == ROOT
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file()
    assert attribute == "handler"
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["x86_64"]
    assert globals_["Tracing"] == "Active"
    assert globals_["Timeout"] < 29
    for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"):
        assert name in globals_["Environment"]["Variables"]
    # AND every template that declares functions gives them these same globals
    for key, raw in templates().raw.items():
        if key in CONFORMANCE_PENDING:  # a stack the suite does not cover yet (see template_testkit)
            continue
        if any(v["Type"] == "AWS::Serverless::Function" for v in raw["Resources"].values()):
            assert raw["Globals"]["Function"] == globals_, templates().files[key]


# ------------------------------------------------------------------ API


def test_api_key_required_on_post_events_only(transformed: dict[str, Any]) -> None:
    # GIVEN the REST API SAM generates
    api = transformed["Resources"]["IngestApi"]
    paths = api["Properties"]["Body"]["paths"]
    # WHEN each route's security is read
    security = {
        (path, method): op.get("security") for path, ops in paths.items() for method, op in ops.items()
    }
    # THEN POST /events and POST /social/posts need the x-api-key; the preflight and health need nothing
    assert api["Type"] == "AWS::ApiGateway::RestApi"
    assert security[("/events", "post")] == [{"api_key": []}]
    assert security[("/social/posts", "post")] == [{"api_key": []}]
    assert security[("/events", "options")] == []
    assert security[("/health", "get")] == []
    assert set(security) == {
        ("/events", "post"),
        ("/events", "options"),
        ("/health", "get"),
        ("/social/posts", "post"),
    }
    assert api["Properties"]["Body"]["securityDefinitions"]["api_key"]["name"] == "x-api-key"


def test_usage_plan_throttles_and_meters_the_api_key(transformed: dict[str, Any]) -> None:
    # GIVEN the generated resources
    res = transformed["Resources"]
    plan = res["IngestUsagePlan"]["Properties"]
    # WHEN the plan and its key are read
    key = res["IngestUsagePlanKey"]["Properties"]
    stage = plan["ApiStages"][0]
    # THEN the key belongs to a plan on the deployed stage, with throttle and quota from parameters
    assert key == {
        "KeyId": {"Ref": "IngestApiKey"},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": "IngestUsagePlan"},
    }
    assert stage["ApiId"] == {"Ref": "IngestApi"}
    assert res[stage["Stage"]["Ref"]]["Type"] == "AWS::ApiGateway::Stage"
    assert plan["Throttle"] == {
        "RateLimit": {"Ref": "ThrottleRateLimit"},
        "BurstLimit": {"Ref": "ThrottleBurstLimit"},
    }
    assert plan["Quota"] == {"Limit": {"Ref": "QuotaLimit"}, "Period": {"Ref": "QuotaPeriod"}}


def test_api_stage_has_access_logging_and_tracing(transformed: dict[str, Any]) -> None:
    # GIVEN the generated stage
    stages = [r for r in transformed["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    # WHEN its settings are read (the ingestion API's; the web API, WebApi, has its own log group)
    logs = {
        "IngestApi": "ApiAccessLogGroup",
        "WebApi": "WebApiAccessLogGroup",
        "RecommendationsApi": "RecommendationsApiAccessLogGroup",
    }
    assert len(stages) == len(logs)
    for stage in stages:
        access = stage["Properties"]["AccessLogSetting"]
        api = stage["Properties"]["RestApiId"]["Ref"]
        # THEN it is named by the Stage parameter, logs every request as JSON and is traced
        assert stage["Properties"]["StageName"] == {"Ref": "Stage"}
        assert access["DestinationArn"] == {"Fn::GetAtt": [logs[api], "Arn"]}
        assert json.loads(access["Format"])["requestId"] == "$context.requestId"
        assert stage["Properties"]["TracingEnabled"] is True


def test_cors_has_no_wildcard_origin() -> None:
    # GIVEN the API, the AllowedOrigins parameter and every environment's overrides
    api = props("IngestApi")
    parameter = template()["Parameters"]["AllowedOrigins"]
    pattern = parameter["AllowedPattern"]
    # WHEN the origins are checked against the parameter's constraint
    configured = {env: overrides(env)["AllowedOrigins"] for env in ("default", "prod")}
    # THEN there is no API-level CORS, '*' is refused, and no default or environment uses it
    assert "Cors" not in api
    assert re.fullmatch(pattern, "*") is None
    assert re.fullmatch(pattern, "https://app.example.com,*") is None
    assert "*" not in parameter["Default"] and re.fullmatch(pattern, parameter["Default"])
    for env, origins in configured.items():
        assert "*" not in origins and re.fullmatch(pattern, origins), env
        assert all(
            o.startswith(("https://", "http://localhost", "http://127.0.0.1")) for o in origins.split(",")
        )
    assert all(o.startswith("https://") for o in configured["prod"].split(","))
    assert "Access-Control-Allow-Origin" not in TEMPLATE.read_text()


# ------------------------------------------------------------------ storage and security


def test_lake_bucket_denies_requests_without_tls() -> None:
    # GIVEN the lake bucket's policy
    policy = props("LakeBucketPolicy")
    # WHEN the deny statements are read
    denies = [s for s in statements(policy["PolicyDocument"]) if s["Effect"] == "Deny"]
    # THEN plain HTTP is refused for the bucket and every object
    assert policy["Bucket"] == {"Ref": "LakeBucket"}
    assert any(
        s["Principal"] == "*"
        and s["Action"] in ("s3:*", ["s3:*"])
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and {"Fn::GetAtt": ["LakeBucket", "Arn"]} in s["Resource"]
        and {"Fn::Sub": "${LakeBucket.Arn}/*"} in s["Resource"]
        for s in denies
    )


def test_lake_bucket_is_private_encrypted_and_expires_by_prefix() -> None:
    # GIVEN the lake bucket
    bucket = props("LakeBucket")
    rules = bucket["LifecycleConfiguration"]["Rules"]
    # WHEN its protections and lifecycle rules are read
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r}
    # THEN all public access is blocked, objects are encrypted, and each data prefix expires
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert expiring == {
        "engagement-events/": {"Ref": "RetentionDays"},
        "quarantine/": {"Ref": "RetentionDays"},
        "firehose-errors/": {"Ref": "RetentionDays"},
        "glue-temp/": 7,  # the feature jobs' scratch space
        "spark-ui/": {"Ref": "LogRetentionDays"},  # Spark event logs are logs
    }
    assert any("AbortIncompleteMultipartUpload" in r for r in rules)


def test_counters_table_keys_ttl_and_recovery() -> None:
    # GIVEN the counters table
    table = props("CountersTable")
    # WHEN its keys and settings are read
    keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    # THEN it is on-demand, keyed pk/sk (strings), expires dedup items on expires_at and can be restored
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert keys == {"pk": "HASH", "sk": "RANGE"}
    assert types == {"pk": "S", "sk": "S"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}


def test_policies_grant_no_wildcard_actions() -> None:
    # GIVEN every inline policy in the template
    docs = policy_documents()
    # WHEN the actions of their Allow statements are collected
    actions = [
        action
        for doc in docs
        for s in statements(doc)
        if s["Effect"] == "Allow"
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    # THEN none is a wildcard such as '*' or 'glue:*'
    assert actions
    assert [a for a in actions if "*" in a] == []


def test_ingest_function_may_only_write_where_it_must() -> None:
    # GIVEN the ingest function's policy statements
    (doc,) = props("IngestFunction")["Policies"]
    grants = {s["Sid"]: s for s in statements(doc)}
    # WHEN each grant is read
    firehose, quarantine, counters = (
        grants["DeliverAcceptedEvents"],
        grants["QuarantineRejectedEvents"],
        grants["CountEventsExactlyOnce"],
    )
    # THEN it may put batches on its two streams (events; social posts, from the influencers stack),
    # objects under quarantine/ and counter items (POST#<post> items are the posts' ledger), nothing else
    assert set(grants) == {"DeliverAcceptedEvents", "QuarantineRejectedEvents", "CountEventsExactlyOnce"}
    assert firehose["Action"] == "firehose:PutRecordBatch"
    assert firehose["Resource"] == [
        {"Fn::GetAtt": ["EventsDeliveryStream", "Arn"]},
        {"Fn::GetAtt": ["SocialDeliveryStream", "Arn"]},
    ]
    assert quarantine["Action"] == "s3:PutObject"
    assert quarantine["Resource"] == {"Fn::Sub": "${LakeBucket.Arn}/quarantine/*"}
    assert counters["Resource"] == {"Fn::GetAtt": ["CountersTable", "Arn"]}
    assert set(counters["Action"]) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
    }


def test_alarms_cover_errors_5xx_delivery_and_throttles() -> None:
    # GIVEN the alarms
    alarms = resources_of("AWS::CloudWatch::Alarm").values()
    # WHEN their metrics are collected (plain and metric-math alarms)
    metrics = set()
    for alarm in alarms:
        p = alarm["Properties"]
        if "MetricName" in p:
            metrics.add((p["Namespace"], p["MetricName"]))
        for m in p.get("Metrics", []):
            if "MetricStat" in m:
                metrics.add((m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"]))
        # THEN every alarm notifies the topic
        assert p["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    # AND function errors, API 5XX, Firehose delivery and DynamoDB throttling are watched
    assert {
        ("AWS/Lambda", "Errors"),
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/Firehose", "DeliveryToS3.DataFreshness"),
        ("AWS/Firehose", "FailedConversion.Records"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
    } <= metrics
    assert resource("AlarmEmailSubscription")["Condition"] == "HasAlarmEmail"


def test_firehose_buffering_parameters_stay_within_aws_limits() -> None:
    # GIVEN the buffering parameters
    size = template()["Parameters"]["FirehoseBufferSizeMB"]
    interval = template()["Parameters"]["FirehoseBufferIntervalSeconds"]
    hints = props("EventsDeliveryStream")["ExtendedS3DestinationConfiguration"]["BufferingHints"]
    # WHEN their bounds are read
    # THEN size is 64-128 MiB (the floor with format conversion) and the interval 0-900 s
    assert (size["MinValue"], size["MaxValue"]) == (64, 128)
    assert (interval["MinValue"], interval["MaxValue"]) == (0, 900)
    assert hints == {
        "SizeInMBs": {"Ref": "FirehoseBufferSizeMB"},
        "IntervalInSeconds": {"Ref": "FirehoseBufferIntervalSeconds"},
    }


# ------------------------------------------------------------------ samconfig


@pytest.mark.parametrize("env", ["default", "prod"])
def test_samconfig_overrides_satisfy_parameter_constraints(env: str) -> None:
    # GIVEN one environment's parameter overrides
    values = overrides(env)
    parameters = template()["Parameters"]
    # WHEN each value is checked against its parameter
    for name, value in values.items():
        spec = parameters[name]  # an unknown name fails here
        # THEN it satisfies the parameter's type and constraints
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], (name, value)
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (name, value)
        if spec["Type"] == "Number":
            number = float(value)
            assert spec.get("MinValue", number) <= number <= spec.get("MaxValue", number), (name, value)


def test_samconfig_prod_is_stricter_than_default() -> None:
    # GIVEN both environments
    config = samconfig()
    dev, prod = overrides("default"), overrides("prod")
    # WHEN they are compared
    # THEN prod keeps data longer, asks before changing, and both deploy with IAM capability
    assert int(prod["RetentionDays"]) > int(dev["RetentionDays"])
    assert config["prod"]["deploy"]["parameters"]["confirm_changeset"] is True
    for env in ("default", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        # nested applications need CAPABILITY_AUTO_EXPAND as well
        assert deploy["capabilities"].split() == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
        assert deploy["resolve_s3"] is True
    assert (
        config["default"]["global"]["parameters"]["stack_name"]
        != config["prod"]["global"]["parameters"]["stack_name"]
    )


def test_samconfig_builds_in_source_without_cache() -> None:
    # GIVEN the build parameters make build and make deploy use
    build = samconfig()["default"]["build"]["parameters"]
    # WHEN they are read
    # THEN SAM runs the makefile in the repository (no copy of .venv) and hashes nothing
    assert build["build_in_source"] is True
    assert build["cached"] is False


def test_every_checkov_skip_names_its_check_and_says_why() -> None:
    # GIVEN the checkov skips written in the templates (make lint's checkov honours them)
    skips = [
        (key or "template.yaml", name, skip)
        for key, raw in templates().raw.items()
        for name, res in raw["Resources"].items()
        for skip in (res.get("Metadata") or {}).get("checkov", {}).get("skip", [])
    ]
    # WHEN each is read
    # THEN it names one check and gives a reason a reviewer can weigh, and make lint runs checkov
    assert skips
    for where, name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (where, name, skip)
        assert len(skip.get("comment", "").split()) >= 8, (where, name, skip["id"])
    makefile = (ROOT / "Makefile").read_text()
    assert "$(MAKE) --no-print-directory checkov" in makefile
    assert "scripts/sam_expand.py" in makefile
