"""Every environment variable a function's code reads is set by the template (and only real ones are).

A Settings field without a default (``None``) that the function's shipped code reads must be set as
``AUDIENCE_<FIELD>`` on that function (its own Environment or its template's Globals), and every
literal ``os.environ`` read must be set there or be one Lambda provides. The static reading
(tests/conformance/code_env.py) follows modules, not calls, so a shared module can make a function
look as if it read a field it never does; those cases are listed below, each with the reason, and
the list is checked for staleness.
"""

from __future__ import annotations

from typing import Any

import pytest
from code_env import reads_of
from template_testkit import CONFORMANCE_PENDING, conformance_covers, templates

from audience.core.settings import Settings
from audience.influencers.settings import InfluencerSettings
from audience.recommend.settings import RecommendSettings

# The core settings and the slices' own (same AUDIENCE_ prefix; the web function's Influencers page
# and the Jetstream collector read AUDIENCE_INFLUENCERS_TABLE and the cursor prefix, the
# recommendations functions RecommendSettings). Where a name is in several, the core's definition.
MODEL_FIELDS = {
    **RecommendSettings.model_fields,
    **InfluencerSettings.model_fields,
    **Settings.model_fields,
}
FIELDS = frozenset(MODEL_FIELDS)
PREFIX = str(Settings.model_config["env_prefix"])
# Set by the Lambda runtime (docs: "Defined runtime environment variables").
LAMBDA_PROVIDED = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "_X_AMZN_TRACE_ID",
    "LAMBDA_TASK_ROOT",
}
# (function, field): why the function never reads it although a module it imports does.
NOT_READ: dict[tuple[str, str], str] = {
    # settings.need("...") reads are seen too (code_env.py); these are module-level, not call-level:
    **{
        (function, field): "audience.activation.wiring's build_activation needs the destination's "
        "settings; this function imports the module for lake_text_objects only"
        for function in ("PrepareInteractionsFunction",)
        for field in ("pinpoint_application_id", "pinpoint_import_role_arn", "connect_domain_name")
    },
    **{
        (function, "delivery_stream"): "audience.ingest.wiring builds the events' Firehose sink for "
        "the ingest function; this function imports the module for the counter store only"
        for function in ("InsightsFunction", "WebFunction")
    },
    ("JetstreamFunction", "delivery_stream"): "audience.ingest.wiring builds the events' Firehose sink "
    "for the ingest function; the collector takes social_ingest_service (the social posts' stream)",
    ("ModelGateFunction", "lake_bucket"): "audience.core.objectstore.wiring's lake_store needs it; the "
    "gate builds its store with bucket_store(model_bucket) from the same module",
    ("InsightsFunction", "social_delivery_stream"): "audience.ingest.wiring builds the social-posts sink "
    "for the ingest function; insights imports it for the counters store only",
    ("WebFunction", "social_delivery_stream"): "as for InsightsFunction: the web function reads counters, "
    "never the ingest sinks",
    ("RecommendationsFunction", "lake_bucket"): "audience.recommend.wiring.lake_store is the batch "
    "function's (it reads and writes the run's files); the serving function logs to Firehose",
    ("WebFunction", "recommendations_table"): "the Recommendations page reads the run's reports from "
    "the lake (audience.recommend.report through wiring.lake_store), never the lists table",
    ("WebFunction", "served_stream"): "as for recommendations_table: the page never serves lists",
    ("RecommendBatchFunction", "served_stream"): "audience.recommend.wiring.served_log is the serving "
    "function's; the batch function writes lists to the table and files to the lake",
}
# Fields that are optional by design: unset has a defined behaviour.
OPTIONAL: dict[str, str] = {
    "auth_client_id": "unset, the web function finds the client by AUDIENCE_AUTH_CLIENT_NAME",
    "bedrock_model_id": "unset, insights are written by the rules writer and Bedrock is never called",
    "engagement_endpoint": "unset, the models' local predictors answer (no endpoint before the first promotion)",
    "churn_endpoint": "unset, as engagement_endpoint",
    "api_key": "the local server's key; API Gateway checks keys in the cloud",
    "recommendations_campaign_arn": "unset, both arms are served from the recommendations table "
    "(no campaign deployed; deploy_campaign is an input of the recommendations workflow)",
    "recommendations_filter_arn": "unset, GetRecommendations runs without the seen-items filter "
    "(only read when a campaign serves the personalize arm)",
}


def functions() -> dict[str, dict[str, Any]]:
    merged = templates().merged
    return {
        k: v
        for k, v in merged["Resources"].items()
        if v["Type"] == "AWS::Serverless::Function" and conformance_covers(k)
    }


def test_pending_stacks_are_nested_applications_of_the_root() -> None:
    # GIVEN the nested applications the suite does not cover yet
    # WHEN compared with the root's  THEN each still exists (a stale entry would hide nothing)
    assert set(CONFORMANCE_PENDING) <= set(templates().files)


def environment(name: str) -> set[str]:
    raw = templates().raw[templates().sources[name]]
    globals_ = raw.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own = functions()[name]["Properties"].get("Environment", {}).get("Variables", {})
    return set(globals_) | set(own)


@pytest.mark.parametrize("function", sorted(functions()))
def test_every_variable_the_code_reads_is_set_by_the_template(function: str) -> None:
    # GIVEN the function's shipped code and its environment in the template
    handler = functions()[function]["Properties"]["Handler"].rsplit(".", 1)[0]
    reads = reads_of(handler, FIELDS)
    env = environment(function)
    # WHEN the settings fields without default and the literal variables it reads are listed
    needed = {
        f
        for f in reads.settings
        if MODEL_FIELDS[f].default is None
        and MODEL_FIELDS[f].default_factory is None
        and f not in OPTIONAL
        and (function, f) not in NOT_READ
    }
    missing = sorted(f"{PREFIX}{f.upper()}" for f in needed if f"{PREFIX}{f.upper()}" not in env)
    unset = sorted(v for v in reads.environ if v not in env and v not in LAMBDA_PROVIDED)
    # THEN each is set on the function (a function would otherwise fail, or fall back, in the cloud)
    assert missing == [] and unset == [], (missing, unset)
    assert reads.modules, handler


@pytest.mark.parametrize("function", sorted(functions()))
def test_every_audience_variable_the_template_sets_is_a_settings_field(function: str) -> None:
    # GIVEN the AUDIENCE_* variables the template sets on the function
    env = environment(function)
    # WHEN each is mapped to a settings field
    unknown = sorted(v for v in env if v.startswith(PREFIX) and v[len(PREFIX) :].lower() not in FIELDS)
    # THEN each is one (a renamed field would leave the template setting nothing)
    assert unknown == []


def test_exemptions_are_still_needed() -> None:
    # GIVEN the listed (function, field) exemptions
    for (function, field_name), _reason in NOT_READ.items():
        handler = functions()[function]["Properties"]["Handler"].rsplit(".", 1)[0]
        # WHEN the function's reads are found again
        reads = reads_of(handler, FIELDS)
        # THEN the field is still read by a module it imports and still not set on it
        assert field_name in reads.settings, (function, field_name)
        assert f"{PREFIX}{field_name.upper()}" not in environment(function), (function, field_name)
    assert set(OPTIONAL) <= FIELDS


def test_required_settings_read_through_need_are_seen() -> None:
    # GIVEN handlers whose required settings are read only as settings.need("...") in the wiring
    # (ingest: the Firehose stream and the counters table; the gate: get_settings.load(M).need(...))
    # WHEN their shipped code is read
    ingest = reads_of("functions.ingest.app", FIELDS)
    gate = reads_of("functions.model_gate.app", FIELDS)
    # THEN those reads are found, in the modules that make them
    assert "audience.ingest.wiring" in ingest.settings["delivery_stream"]
    assert "audience.ingest.wiring" in ingest.settings["counters_table"]
    assert "functions.model_gate.app" in gate.settings["model_bucket"]
