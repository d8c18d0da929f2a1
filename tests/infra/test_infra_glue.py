"""template.yaml's feature-engineering stage: Glue jobs, schedule, feature tables, role, failure alarm.

Also how the jobs are shipped: SAM's own packager is run (in the SAM CLI environment, with a recording
uploader instead of S3) to show it uploads each job's ``Command.ScriptLocation`` and leaves
``--extra-py-files`` alone, which scripts/package.py uploads instead.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from infra_testkit import (
    ROOT,
    SAM_PYTHON,
    SAMCONFIG,
    TEMPLATE,
    props,
    source,
    sub_text,
    template,
    template_files,
)
from packager_kit import packager

from schemas.lake_tables import LAKE_TABLES

FEATURE_TABLES = ROOT / "schemas" / "generated" / "feature_tables.json"

JOB_SCRIPTS = {
    "UserContentFeaturesJob": "glue_jobs/user_content_features.py",
    "UserFeaturesJob": "glue_jobs/user_features.py",
    "ContentFeaturesJob": "glue_jobs/content_features.py",
}
# Glue jobs of later stages, with their own roles and tests (the models' training sets: tests/models).
# (the backfill and influencer scoring: tests/infra/test_infra_backfill.py, test_infra_influencers.py).
OTHER_JOB_SCRIPTS = {
    "TrainingSetsJob": "glue_jobs/training_sets.py",
    "BackfillJob": "glue_jobs/backfill.py",
    "InfluencerScoringJob": "glue_jobs/influencer_scoring.py",
}
# Jobs whose libraries differ from the feature jobs' features_lib.zip (nested templates that take
# the lake bucket as LakeBucketName).
EXTRA_PY_FILES = {
    "BackfillJob": {
        "Fn::Sub": "s3://${LakeBucketName}/artifacts/glue/features_lib.zip,"
        "s3://${LakeBucketName}/artifacts/glue/backfill_lib.zip"
    },
    "InfluencerScoringJob": {"Fn::Sub": "s3://${LakeBucketName}/artifacts/glue/influencers_lib.zip"},
}
# The jobs' own arguments (glue_jobs/features_lib/params.py) and their deployed defaults.
JOB_ARGUMENTS = {
    "--lake_path": {"Fn::Sub": "s3://${LakeBucket}"},
    "--reference_path": {"Fn::Sub": "s3://${LakeBucket}/reference"},
    "--as_of": "yesterday",
    "--lookback_days": "28",
    "--max_event_age_days": {"Ref": "MaxEventAgeDays"},
    "--like_weight": "2",
    "--share_weight": "3",
    "--complete_weight": "5",
    "--churn_horizon_days": "30",
    "--trend_recent_days": "7",
}
# Arguments Glue itself reads.
GLUE_ARGUMENTS = {
    "--job-language": "python",
    "--job-bookmark-option": "job-bookmark-disable",
    "--enable-metrics": "true",
    "--enable-observability-metrics": "true",
    "--enable-continuous-cloudwatch-log": "true",
    "--custom-logGroup-prefix": {"Fn::Sub": "/aws-glue/jobs/${AWS::StackName}-features"},
    "--enable-spark-ui": {"Ref": "GlueSparkUi"},
    "--spark-event-logs-path": {"Fn::Sub": "s3://${LakeBucket}/spark-ui/"},
    "--TempDir": {"Fn::Sub": "s3://${LakeBucket}/glue-temp/"},
    "--extra-py-files": {"Fn::Sub": "s3://${LakeBucket}/artifacts/glue/features_lib.zip"},
}
# What the role may do with objects of the lake bucket, by prefix.
READ_ONLY_PREFIXES = ("engagement-events/", "reference/", "artifacts/glue/")
WRITE_PREFIXES = ("features/", "glue-temp/", "spark-ui/")


def resources_of(type_: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template()["Resources"].items() if v["Type"] == type_}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def feature_tables_json() -> dict[str, Any]:
    assert FEATURE_TABLES.is_file(), (
        f"{FEATURE_TABLES.relative_to(ROOT)} is missing: the feature tables cannot be checked "
        "(python -m schemas.derive writes it from schemas/features.py)"
    )
    data: dict[str, Any] = json.loads(FEATURE_TABLES.read_text())
    return data


def template_feature_tables() -> dict[str, dict[str, Any]]:
    """Glue tables of the template stored under features/, by table name."""
    tables = {}
    for properties in resources_of("AWS::Glue::Table").values():
        table = properties["TableInput"]
        if sub_text(table["StorageDescriptor"]["Location"]).startswith("s3://${LakeBucket}/features/"):
            tables[table["Name"]] = table
    return tables


def role_statements() -> dict[str, dict[str, Any]]:
    (policy,) = props("FeatureJobsRole")["Policies"]
    return {s["Sid"]: s for s in as_list(policy["PolicyDocument"]["Statement"])}


# ------------------------------------------------------------------ jobs


def test_every_job_is_a_glue_5_spark_job_run_one_at_a_time() -> None:
    # GIVEN the Glue jobs of the template
    jobs = {k: v for k, v in resources_of("AWS::Glue::Job").items() if k in JOB_SCRIPTS}
    # WHEN their runtime settings are read
    # THEN they are the three feature jobs: Spark (glueetl) on Glue 5.0 with Python 3, sized by
    # parameters, with a timeout, never two runs of a job at once, and the feature role
    # (the Explorer's segmentation job has its own role and size: tests/infra/test_infra_explorer.py)
    assert set(jobs) == set(JOB_SCRIPTS)
    for name, job in jobs.items():
        assert job["GlueVersion"] == "5.0", name
        assert job["Command"]["Name"] == "glueetl", name
        assert job["Command"]["PythonVersion"] == "3", name
        assert job["WorkerType"] == {"Ref": "GlueWorkerType"}, name
        assert job["NumberOfWorkers"] == {"Ref": "GlueNumberOfWorkers"}, name
        assert job["Timeout"] == {"Ref": "GlueJobTimeoutMinutes"}, name
        assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}, name
        assert job["Role"] == {"Fn::GetAtt": ["FeatureJobsRole", "Arn"]}, name
        assert "MaxCapacity" not in job and "AllocatedCapacity" not in job, name


@pytest.mark.parametrize("job", sorted(JOB_SCRIPTS))
def test_job_script_location_is_an_existing_file_under_glue_jobs(job: str) -> None:
    # GIVEN one job's script location
    location = props(job)["Command"]["ScriptLocation"]
    # WHEN it is resolved against the folder of the template that declares it (as sam build and
    # sam deploy do)
    path = (source(job).parent / location).resolve()
    # THEN it is a local, relative path to the job's script, which exists
    assert isinstance(location, str) and not location.startswith("s3://"), location
    assert path == (ROOT / JOB_SCRIPTS[job]).resolve(), location
    assert path.is_relative_to(ROOT / "glue_jobs"), location
    assert path.is_file(), f"{location} does not exist"


@pytest.mark.parametrize("job", sorted(JOB_SCRIPTS))
def test_job_default_arguments_carry_every_job_and_glue_argument(job: str) -> None:
    # GIVEN one job's default arguments
    arguments = props(job)["DefaultArguments"]
    # WHEN they are compared with the jobs' argument contract and the Glue settings
    # THEN every argument is there with its deployed default, and nothing else
    assert arguments == {**GLUE_ARGUMENTS, **JOB_ARGUMENTS}
    # AND every value is a string or an intrinsic that gives one (Glue takes strings only)
    assert all(isinstance(v, str | dict) for v in arguments.values())


def test_jobs_allow_late_events_as_old_as_the_api_accepts() -> None:
    # GIVEN the ingest function's oldest accepted event age
    ingest = props("IngestFunction")["Environment"]["Variables"]["AUDIENCE_MAX_EVENT_AGE_DAYS"]
    # WHEN each job's --max_event_age_days is read
    jobs = [props(job)["DefaultArguments"]["--max_event_age_days"] for job in JOB_SCRIPTS]
    # THEN all come from the same parameter, so the jobs read every arrival day an event can land in
    assert ingest == {"Ref": "MaxEventAgeDays"}
    assert jobs == [ingest] * len(JOB_SCRIPTS)


def test_job_arguments_are_the_feature_library_parameters() -> None:
    # GIVEN the jobs' parameter model, glue_jobs/features_lib/params.py (standard library only)
    path = ROOT / "glue_jobs" / "features_lib" / "params.py"
    spec = importlib.util.spec_from_file_location("features_lib_params", path)
    assert spec is not None and spec.loader is not None, path
    params = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = params
    spec.loader.exec_module(params)
    # WHEN its fields are compared with the template's job arguments
    defaults = {f"--{f.name}": f.default for f in dataclasses.fields(params.JobParams)}
    max_age = template()["Parameters"]["MaxEventAgeDays"]["Default"]
    # THEN every parameter is passed, and the deployed numbers are the library's defaults
    assert set(defaults) == set(JOB_ARGUMENTS)
    for name, default in defaults.items():
        if isinstance(default, int | float):
            deployed = JOB_ARGUMENTS[name]
            value = max_age if deployed == {"Ref": "MaxEventAgeDays"} else deployed
            assert float(value) == float(default), name


def test_worker_parameters_allow_only_glue_5_spark_sizes() -> None:
    # GIVEN the sizing parameters
    parameters = template()["Parameters"]
    # WHEN their constraints are read
    worker, count, timeout = (
        parameters["GlueWorkerType"],
        parameters["GlueNumberOfWorkers"],
        parameters["GlueJobTimeoutMinutes"],
    )
    # THEN only Spark worker types, at least Glue's two workers, and a bounded timeout are allowed
    assert set(worker["AllowedValues"]) <= {"G.1X", "G.2X", "G.4X", "G.8X"}
    assert worker["Default"] in worker["AllowedValues"]
    assert count["MinValue"] >= 2 and count["Default"] >= count["MinValue"]
    assert 1 <= timeout["MinValue"] <= timeout["Default"] <= timeout["MaxValue"] <= 2880


def test_job_log_groups_are_the_custom_prefix_groups_with_retention() -> None:
    # GIVEN the jobs' log group prefix and the declared log groups
    prefix = sub_text(GLUE_ARGUMENTS["--custom-logGroup-prefix"])
    groups = {name: props(name) for name in ("FeatureJobsErrorLogGroup", "FeatureJobsOutputLogGroup")}
    # WHEN their names are read
    names = {sub_text(p["LogGroupName"]) for p in groups.values()}
    # THEN they are the two groups Glue 5.0 writes to under that prefix, with the stack's retention
    assert names == {f"{prefix}/error", f"{prefix}/output"}
    assert all(p["RetentionInDays"] == {"Ref": "LogRetentionDays"} for p in groups.values())


# ------------------------------------------------------------------ schedule and alarm


def test_trigger_starts_every_job_on_the_schedule_parameter() -> None:
    # GIVEN the Glue triggers
    trigger = resources_of("AWS::Glue::Trigger")["FeatureScheduleTrigger"]
    parameter = template()["Parameters"]["FeatureSchedule"]
    # WHEN the trigger and its parameter are read
    started = {action["JobName"]["Ref"] for action in trigger["Actions"]}
    # THEN it is a schedule from the parameter, active from creation, starting all three jobs
    assert trigger["Type"] == "SCHEDULED"
    assert trigger["Schedule"] == {"Ref": "FeatureSchedule"}
    assert trigger["StartOnCreation"] is True
    assert started == set(JOB_SCRIPTS)
    # AND the default is a valid cron expression that the parameter's pattern accepts
    assert re.fullmatch(parameter["AllowedPattern"], parameter["Default"])
    assert re.fullmatch(r"cron\((\S+ ){5}\S+\)", parameter["Default"])
    assert re.fullmatch(parameter["AllowedPattern"], "rate(1 day)") is None


def test_failed_or_timed_out_runs_notify_the_alarm_topic() -> None:
    # GIVEN the EventBridge rule on Glue job state changes
    rule = props("FeatureJobFailedRule")
    pattern = rule["EventPattern"]
    (target,) = rule["Targets"]
    # WHEN its pattern and target are read
    jobs = {ref["Ref"] for ref in pattern["detail"]["jobName"]}
    # THEN a FAILED or TIMEOUT run of any feature job is sent to the alarm topic
    assert pattern["source"] == ["aws.glue"]
    assert pattern["detail-type"] == ["Glue Job State Change"]
    assert {"FAILED", "TIMEOUT"} <= set(pattern["detail"]["state"])
    assert not {"SUCCEEDED", "RUNNING", "STARTING"} & set(pattern["detail"]["state"])
    assert jobs == set(JOB_SCRIPTS)
    assert target["Arn"] == {"Ref": "AlarmTopic"}
    assert rule["State"] == "ENABLED"


def test_alarm_topic_policy_lets_the_rule_and_cloudwatch_publish() -> None:
    # GIVEN the alarm topic's policy (it replaces the topic's default policy)
    policy = props("AlarmTopicPolicy")
    grants = {s["Sid"]: s for s in as_list(policy["PolicyDocument"]["Statement"])}
    # WHEN its statements are read
    events, alarms = grants["FeatureJobFailures"], grants["CloudWatchAlarms"]
    # THEN EventBridge may publish for this rule only, and CloudWatch alarms keep publishing
    assert policy["Topics"] == [{"Ref": "AlarmTopic"}]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert events["Action"] == "sns:Publish" and events["Resource"] == {"Ref": "AlarmTopic"}
    assert events["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["FeatureJobFailedRule", "Arn"]}}
    }
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Action"] == "sns:Publish"
    assert "${AWS::AccountId}:alarm:" in sub_text(alarms["Condition"]["ArnLike"]["aws:SourceArn"])


# ------------------------------------------------------------------ feature tables


def test_feature_tables_are_exactly_the_generated_contract() -> None:
    # GIVEN schemas/generated/feature_tables.json (derived from schemas/features.py)
    expected = feature_tables_json()
    # WHEN the template's tables under features/ are compared with it
    tables = template_feature_tables()
    # THEN there is one table per contract table, with exactly its columns and partition key, in order
    assert tables, "the template declares no feature tables"
    assert set(tables) == set(expected)
    for name, spec in expected.items():
        table = tables[name]
        assert table["StorageDescriptor"]["Columns"] == spec["columns"], name
        assert table["PartitionKeys"] == spec["partition_keys"], name
        location = sub_text(table["StorageDescriptor"]["Location"])
        assert location == f"s3://${{LakeBucket}}/{spec['location']}", name


def test_feature_tables_read_parquet_and_project_as_of_dates() -> None:
    # GIVEN the feature tables
    tables = template_feature_tables()
    assert tables, "the template declares no feature tables"
    for name, table in tables.items():
        # WHEN their storage and projection parameters are read
        parameters = table["Parameters"]
        storage = table["StorageDescriptor"]
        location = sub_text(storage["Location"])
        # THEN they are Parquet, in the lake database, with as_of projected as a daily date from 2024
        assert table["TableType"] == "EXTERNAL_TABLE"
        assert storage["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe"), name
        assert storage["InputFormat"].endswith("MapredParquetInputFormat"), name
        assert parameters["classification"] == "parquet"
        assert parameters["projection.enabled"] == "true"
        assert parameters["projection.as_of.type"] == "date"
        assert parameters["projection.as_of.format"] == "yyyy-MM-dd"
        assert parameters["projection.as_of.range"] == "2024-01-01,NOW"
        assert parameters["projection.as_of.interval"] == "1"
        assert parameters["projection.as_of.interval.unit"] == "DAYS"
        # AND Athena looks for each day where the jobs write it: <location>as_of=YYYY-MM-DD/
        assert sub_text(parameters["storage.location.template"]) == location + "as_of=${as_of}/"
        assert location == f"s3://${{LakeBucket}}/features/{name}/"
    for properties in resources_of("AWS::Glue::Table").values():
        assert properties["DatabaseName"] == {"Ref": "LakeDatabase"}


# ------------------------------------------------------------------ role


def test_feature_role_is_assumed_by_glue_only() -> None:
    # GIVEN the role's trust policy
    (trust,) = as_list(props("FeatureJobsRole")["AssumeRolePolicyDocument"]["Statement"])
    # WHEN it is read
    # THEN only the Glue service may assume it, and it carries no managed policy
    assert trust["Principal"] == {"Service": "glue.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert "ManagedPolicyArns" not in props("FeatureJobsRole")


def test_feature_role_has_no_wildcard_actions() -> None:
    # GIVEN the role's statements
    statements = role_statements().values()
    # WHEN their actions are collected
    actions = [a for s in statements for a in as_list(s["Action"])]
    # THEN every one is named (no '*', no 'glue:*' or 's3:*') and all are allowed, none denied
    assert actions and [a for a in actions if "*" in a] == []
    assert {s["Effect"] for s in statements} == {"Allow"}


def test_feature_role_reaches_lake_objects_only_under_its_prefixes() -> None:
    # GIVEN the role's statements on the lake bucket's objects
    lake_objects = "${LakeBucket.Arn}/"
    grants = [
        (action, sub_text(resource)[len(lake_objects) :])
        for s in role_statements().values()
        for resource in as_list(s["Resource"])
        if "Fn::Sub" in resource and sub_text(resource).startswith(lake_objects)
        for action in as_list(s["Action"])
    ]
    # WHEN each grant is classified by its prefix
    reads = {prefix for action, prefix in grants if action == "s3:GetObject"}
    writes = {prefix for action, prefix in grants if action in ("s3:PutObject", "s3:DeleteObject")}
    # THEN the jobs read events, reference data and their library, and write only features, scratch
    # and Spark logs, never the events or the library
    assert reads == {p + "*" for p in READ_ONLY_PREFIXES + WRITE_PREFIXES}
    assert writes == {p + "*" for p in WRITE_PREFIXES}
    assert {action for action, _ in grants} <= {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
    }


def test_feature_role_lists_the_bucket_only_under_its_prefixes() -> None:
    # GIVEN the role's bucket-level statements
    bucket = {"Fn::GetAtt": ["LakeBucket", "Arn"]}
    on_bucket = [s for s in role_statements().values() if bucket in as_list(s["Resource"])]
    # WHEN the listing grant is read
    (listing,) = [s for s in on_bucket if "s3:ListBucket" in as_list(s["Action"])]
    prefixes = listing["Condition"]["StringLike"]["s3:prefix"]
    # THEN listing is limited to the prefixes the jobs use (each as a folder and its contents)
    allowed = {p.rstrip("/") for p in READ_ONLY_PREFIXES + WRITE_PREFIXES if p != "artifacts/glue/"}
    assert set(prefixes) == {p for a in allowed for p in (a, a + "/*")}
    assert {a for s in on_bucket for a in as_list(s["Action"])} == {"s3:ListBucket", "s3:GetBucketLocation"}


def test_feature_role_reads_only_its_own_scripts_catalog_and_logs() -> None:
    # GIVEN the role's statements outside the lake bucket
    grants = role_statements()
    scripts, catalog, logs, metrics = (
        grants["ReadJobScripts"],
        grants["ReadLakeCatalog"],
        grants["JobLogs"],
        grants["JobMetrics"],
    )
    tables = {sub_text(r).rsplit("/", 1)[1] for r in catalog["Resource"] if ":table/" in sub_text(r)}
    # WHEN their resources are read
    # THEN scripts are read from the stack's prefix of the package bucket, in this account only
    assert scripts["Action"] == "s3:GetObject"
    assert (
        sub_text(scripts["Resource"]) == "arn:${AWS::Partition}:s3:::${SamPackageBucket}/${AWS::StackName}/*"
    )
    assert scripts["Condition"] == {"StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}}
    # AND the catalog is read only, for the lake database, the events table and the feature tables
    assert set(catalog["Action"]) == {"glue:GetDatabase", "glue:GetTable"}
    shared = {t.name for t in LAKE_TABLES}  # predictions and segments: other stages' tables
    table_refs = {
        k
        for k, v in template()["Resources"].items()
        if v["Type"] == "AWS::Glue::Table"
        and v["Properties"]["TableInput"]["Name"] not in shared
        and source(k).name == "lake.yaml"  # the lake's catalog (recommendations keep their own tables)
    }
    assert tables == {"${" + name + "}" for name in table_refs}
    assert not [r for r in catalog["Resource"] if "*" in sub_text(r)]
    # AND logs go to the jobs' own log groups, metrics to Glue's namespace only
    assert sub_text(logs["Resource"]).endswith(":log-group:/aws-glue/jobs/${AWS::StackName}-features/*")
    assert metrics["Action"] == "cloudwatch:PutMetricData"
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Glue"}}


def test_samconfig_s3_prefix_is_the_stack_name() -> None:
    # GIVEN both samconfig environments
    config = tomllib.loads(SAMCONFIG.read_text())
    # WHEN their package prefix and stack name are compared
    # THEN they are equal: the jobs' role reads scripts under <package bucket>/<stack name>/
    for env in ("default", "prod"):
        assert (
            config[env]["deploy"]["parameters"]["s3_prefix"]
            == config[env]["global"]["parameters"]["stack_name"]
        )


# ------------------------------------------------------------------ shipping


_SAM_PACKAGE = """
import json, sys
from samcli.yamlhelper import yaml_parse
from samcli.lib.package.code_signer import CodeSigner
from samcli.lib.package.local_files_utils import get_uploaded_s3_object_name
from samcli.lib.package.packageable_resources import RESOURCES_EXPORT_LIST
from samcli.lib.package.uploaders import Uploaders

class RecordingUploader:
    # What sam deploy's S3Uploader does, without S3: content-addressed keys under the prefix.
    bucket_name, prefix, uploaded = "package-bucket", "audience-dev", []
    def upload_with_dedup(self, file_name, extension=None, precomputed_md5=None):
        self.uploaded.append(file_name)
        key = get_uploaded_s3_object_name(precomputed_md5=precomputed_md5, file_path=file_name, extension=extension)
        return f"s3://{self.bucket_name}/{self.prefix}/{key}"

template_path = sys.argv[1]
template = yaml_parse(open(template_path).read())
uploader = RecordingUploader()
uploaders = Uploaders(uploader, None)
result = {}
for name, resource in template["Resources"].items():
    if resource["Type"] != "AWS::Glue::Job":
        continue
    exporters = [e for e in RESOURCES_EXPORT_LIST if e.RESOURCE_TYPE == resource["Type"]]
    for exporter in exporters:
        exporter(uploaders, CodeSigner(None, None), {}).export(name, resource["Properties"], sys.argv[2])
    result[name] = {
        "exporters": [e.PROPERTY_NAME for e in exporters],
        "script": resource["Properties"]["Command"]["ScriptLocation"],
        "extra_py_files": resource["Properties"]["DefaultArguments"]["--extra-py-files"],
    }
print(json.dumps({"jobs": result, "uploaded": uploader.uploaded}))
"""


def test_sam_deploy_uploads_job_scripts_but_not_extra_py_files() -> None:
    # GIVEN SAM's own packager for the template's Glue jobs, with an uploader that records files
    if not SAM_PYTHON.exists():
        pytest.fail("the SAM CLI environment is missing: run `make setup-sam`")
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    # WHEN it exports them as sam deploy does, in each template with that template's folder (sam
    # deploy packages a nested application's template the same way, with the same uploader)
    result: dict[str, Any] = {"jobs": {}, "uploaded": []}
    for path in template_files():
        proc = subprocess.run(
            [str(SAM_PYTHON), "-c", _SAM_PACKAGE, str(path), str(path.parent)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        one = json.loads(proc.stdout)
        assert not set(one["jobs"]) & set(result["jobs"])
        result["jobs"].update(one["jobs"])
        result["uploaded"] += one["uploaded"]
    assert TEMPLATE in template_files()
    # (the Explorer's segmentation job is packaged the same way, with its own library zip)
    explorer_script = (ROOT / "glue_jobs" / "explorer_segmentation.py").resolve()
    jobs = {k: v for k, v in result["jobs"].items() if k != "ExplorerSegmentationJob"}
    # THEN only Command.ScriptLocation is packaged: each script is uploaded and replaced by its S3 URI
    assert set(jobs) == set(JOB_SCRIPTS) | set(OTHER_JOB_SCRIPTS)
    assert sorted(Path(p).resolve() for p in result["uploaded"]) == sorted(
        [
            *((ROOT / s).resolve() for s in (*JOB_SCRIPTS.values(), *OTHER_JOB_SCRIPTS.values())),
            explorer_script,
        ]
    )
    assert result["jobs"]["ExplorerSegmentationJob"]["extra_py_files"] == {
        "Fn::Sub": "s3://${LakeBucket}/artifacts/glue/explorer_lib.zip"
    }
    for name, job in jobs.items():
        assert job["exporters"] == ["Command.ScriptLocation"], name
        assert re.fullmatch(r"s3://package-bucket/audience-dev/[0-9a-f]{32}", job["script"]), job
        # AND --extra-py-files stays as written: scripts/package.py must upload the zip
        assert job["extra_py_files"] == EXTRA_PY_FILES.get(
            name, {"Fn::Sub": "s3://${LakeBucket}/artifacts/glue/features_lib.zip"}
        ), name


def test_package_script_uploads_where_the_jobs_look(tmp_path: Path) -> None:
    # GIVEN the keys scripts/package.py uploads the built features library and data/'s CSVs to
    module = packager()
    artefact = module.ARTEFACTS["features_lib"]
    library = tmp_path / "features_lib.zip"
    library.write_bytes(b"PK")
    pairs = artefact.uploads(library)
    # WHEN they are compared with the jobs' arguments
    keys = {key for _, key in pairs}
    library = sub_text(GLUE_ARGUMENTS["--extra-py-files"])
    reference = sub_text(JOB_ARGUMENTS["--reference_path"])
    # THEN the zip lands at --extra-py-files and the committed CSVs under --reference_path
    assert library == f"s3://${{LakeBucket}}/{artefact.key}"
    assert reference == f"s3://${{LakeBucket}}/{module.REFERENCE_PREFIX}"
    assert keys == {artefact.key} | {
        f"{module.REFERENCE_PREFIX}/{n}" for n in ("content_catalog.csv", "users.csv")
    }


def test_built_zip_imports_the_library_and_its_contract_like_glue(tmp_path: Path) -> None:
    # GIVEN the library zip built from the repository (what `make glue-upload` ships)
    zip_path = packager().ARTEFACTS["features_lib"].build(tmp_path / "features_lib.zip")
    script = (
        f"import sys; sys.path.insert(0, {str(zip_path)!r})\n"
        "import glue_jobs.features_lib.params, glue_jobs.features_lib.contract as contract\n"
        "assert glue_jobs.features_lib.params.__file__.startswith(sys.path[0]), glue_jobs.__file__\n"
        "print(','.join(contract.table(t).name for t in sys.argv[1:]))"
    )
    tables = sorted(feature_tables_json())
    # WHEN a fresh interpreter imports the jobs' library with only the zip added to its path, from a
    # folder outside the repository (Glue puts --extra-py-files on the path the same way)
    proc = subprocess.run(
        [sys.executable, "-I", "-c", script, *tables],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN the library and its feature-table contract load from the zip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ",".join(tables)
