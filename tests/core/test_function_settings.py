"""Each Lambda function's settings model: the fields it needs in AWS are required at cold start, and a
missing one fails validation naming its environment variable."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from audience.core.settings import CoreSettings, MissingSettingError, Settings

ROOT = Path(__file__).resolve().parents[2]

# function module, its settings model, the variables it needs in AWS
FUNCTIONS = [
    (
        "functions.ingest.app",
        "IngestFunctionSettings",
        ["AUDIENCE_LAKE_BUCKET", "AUDIENCE_DELIVERY_STREAM", "AUDIENCE_COUNTERS_TABLE"],
    ),
    (
        "functions.insights.app",
        "InsightsFunctionSettings",
        [
            "AUDIENCE_LAKE_BUCKET",
            "AUDIENCE_COUNTERS_TABLE",
            "AUDIENCE_LAKE_DATABASE",
            "AUDIENCE_ATHENA_WORKGROUP",
        ],
    ),
    ("functions.segment_queries.app", "ValidateQueriesSettings", ["AUDIENCE_LAKE_BUCKET"]),
    ("functions.segment_postprocess.app", "SegmentPostprocessSettings", ["AUDIENCE_LAKE_BUCKET"]),
    ("functions.model_gate.app", "ModelGateSettings", ["AUDIENCE_MODEL_BUCKET"]),
    (
        "functions.web.app",
        "WebFunctionSettings",
        [
            "AUDIENCE_LAKE_BUCKET",
            "AUDIENCE_COUNTERS_TABLE",
            "AUDIENCE_LAKE_DATABASE",
            "AUDIENCE_ATHENA_WORKGROUP",
        ],
    ),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("AUDIENCE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def _model(module: str, name: str) -> type[CoreSettings]:
    model = getattr(importlib.import_module(module), name)
    assert issubclass(model, CoreSettings)
    return model


@pytest.mark.parametrize(("module", "name", "required"), FUNCTIONS)
def test_function_settings_validate_with_every_required_setting(
    clean_env: pytest.MonkeyPatch, module: str, name: str, required: list[str]
) -> None:
    # GIVEN the aws backend and every variable the function needs
    model = _model(module, name)
    clean_env.setenv("AUDIENCE_BACKEND", "aws")
    for variable in required:
        clean_env.setenv(variable, f"value-of-{variable.lower()}")
    # WHEN its settings are read  THEN they validate and carry the values
    settings = model()
    assert settings.backend == "aws"
    for variable in required:
        assert getattr(settings, variable.removeprefix("AUDIENCE_").lower()) == f"value-of-{variable.lower()}"


@pytest.mark.parametrize(("module", "name", "required"), FUNCTIONS)
def test_function_settings_name_each_missing_setting(
    clean_env: pytest.MonkeyPatch, module: str, name: str, required: list[str]
) -> None:
    model = _model(module, name)
    for missing in required:
        # GIVEN the aws backend and every needed variable but one
        clean_env.setenv("AUDIENCE_BACKEND", "aws")
        for variable in required:
            clean_env.setenv(variable, "x")
        clean_env.delenv(missing)
        # WHEN the settings are read  THEN validation fails naming that variable
        with pytest.raises(ValidationError, match=missing):
            model()
    # AND locally nothing is required
    clean_env.setenv("AUDIENCE_BACKEND", "local")
    for variable in required:
        clean_env.delenv(variable, raising=False)
    assert model().backend == "local"


def test_function_settings_activation_destination_needs_its_resources(clean_env: pytest.MonkeyPatch) -> None:
    # GIVEN the post-processing function in AWS with Pinpoint chosen but no Pinpoint application
    model = _model("functions.segment_postprocess.app", "SegmentPostprocessSettings")
    clean_env.setenv("AUDIENCE_BACKEND", "aws")
    clean_env.setenv("AUDIENCE_LAKE_BUCKET", "lake")
    clean_env.setenv("AUDIENCE_ACTIVATION_DESTINATION", "pinpoint")
    # WHEN read  THEN both missing Pinpoint variables are named
    with pytest.raises(
        ValidationError, match="AUDIENCE_PINPOINT_APPLICATION_ID, AUDIENCE_PINPOINT_IMPORT_ROLE_ARN"
    ):
        model()
    # AND Connect needs its domain
    clean_env.setenv("AUDIENCE_ACTIVATION_DESTINATION", "connect")
    with pytest.raises(ValidationError, match="AUDIENCE_CONNECT_DOMAIN_NAME"):
        model()
    clean_env.setenv("AUDIENCE_CONNECT_DOMAIN_NAME", "audience")
    assert model().connect_domain_name == "audience"


def test_function_settings_a_cold_start_without_a_required_setting_fails_naming_it() -> None:
    # GIVEN the model gate's handler module imported in AWS without AUDIENCE_MODEL_BUCKET
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCE_")}
    env.update(AUDIENCE_BACKEND="aws", AWS_DEFAULT_REGION="us-east-1")
    # WHEN the module is imported (the cold start)
    result = subprocess.run(
        [sys.executable, "-c", "import functions.model_gate.app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # THEN the import fails with pydantic's ValidationError naming the variable
    assert result.returncode != 0
    assert "ValidationError" in result.stderr and "AUDIENCE_MODEL_BUCKET" in result.stderr


def test_settings_need_names_the_variable_when_a_host_skipped_the_function_model(
    clean_env: pytest.MonkeyPatch,
) -> None:
    # GIVEN the local host's settings (every slice, nothing required) in AWS without a lake bucket
    clean_env.setenv("AUDIENCE_BACKEND", "aws")
    settings = Settings()
    # WHEN wiring asks for the bucket  THEN the error names the variable
    with pytest.raises(MissingSettingError, match="AUDIENCE_LAKE_BUCKET"):
        settings.need("lake_bucket")
