"""One typed settings model, read from the environment once at start-up.

Logic never reads ``os.environ``; handlers and the local server build :class:`Settings` and pass
what is needed down. Names are ``AUDIENCE_*``; the SAM template sets them for each function.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


@lru_cache(maxsize=1)
def find_project_root() -> Path:
    """The checkout holding the top-level ``glue_jobs/``, ``sagemaker/``, ``data/`` and ``node_modules/``.

    Found once, as the nearest folder above this package with a ``pyproject.toml`` and ``glue_jobs/``
    (an editable install or a run from the source tree); else the working directory. Code that has its
    settings at hand reads ``Settings.project_root`` instead, which ``AUDIENCE_PROJECT_ROOT`` overrides.
    """
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").is_file() and (folder / "glue_jobs").is_dir():
            return folder
    return Path.cwd()


def _running_in_aws() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ or os.environ.get("AWS_EXECUTION_ENV", "").startswith(
        "AWS_"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIENCE_", extra="ignore", frozen=True)

    backend: Literal["aws", "local"] = Field(
        default_factory=lambda: "aws" if _running_in_aws() else "local",
        description="Which adapters to use; 'local' (embedded) unless running inside AWS Lambda.",
    )
    stage: str = "local"
    home: Path = Field(default=Path(".audience"), description="Local state (lake, spool, counters).")
    project_root: Path = Field(
        default_factory=find_project_root,
        description="The checkout whose glue_jobs/, sagemaker/ and data/ local runs use (default: this one).",
    )
    api_key: str | None = Field(
        default=None, description="Local server's API key (API Gateway checks it in AWS)."
    )

    # Ingestion limits
    max_events: int = Field(default=500, ge=1, le=500)
    max_event_bytes: int = Field(default=32 * 1024, ge=256)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_event_age_days: float = Field(default=7, gt=0)
    max_future_seconds: float = Field(default=300, ge=0)
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Delivery retries (Firehose partial failures)
    delivery_attempts: int = Field(default=4, ge=1, le=10)
    delivery_backoff_seconds: float = Field(default=0.1, ge=0)
    retry_after_seconds: int = Field(default=5, ge=1)
    response_reserve_seconds: float = Field(
        default=8.0, ge=0, description="Time kept back from the Lambda timeout for counting and answering."
    )

    # AWS resources (set by the template)
    lake_bucket: str | None = None
    delivery_stream: str | None = None
    counters_table: str | None = None

    # Local lake delivery (Firehose's buffering hints)
    local_buffer_records: int = Field(default=50_000, ge=1)
    local_buffer_seconds: float = Field(default=60, gt=0)

    # Insights and the dashboard: lake SQL (Athena in AWS, DuckDB locally) and the insight writer
    lake_database: str | None = Field(default=None, description="Glue database of the lake tables.")
    athena_workgroup: str | None = Field(default=None, description="Athena workgroup (results, limits).")
    lake_query_timeout_seconds: float = Field(default=60, gt=0)
    bedrock_model_id: str | None = Field(
        default=None, description="Bedrock model for insights; unset = the deterministic rules writer."
    )
    insights_ttl_seconds: float = Field(default=3600, ge=0, description="Serve a stored insight this long.")
    dashboard_refresh_seconds: int = Field(default=15, ge=1, description="Live figures' refresh period.")
    # Activation of Personalize segments (docs/activation.md)
    activation_destination: Literal["files", "pinpoint", "connect"] = Field(
        default="files",
        description="Where segments go: Pinpoint import, Connect Customer Profiles, or files.",
    )
    activation_prefix: str = Field(
        default="activation", description="Prefix of activation output in the lake."
    )
    endpoints_key: str = "activation/endpoints/endpoints.csv.gz"
    pinpoint_application_id: str | None = None
    pinpoint_import_role_arn: str | None = None
    connect_domain_name: str | None = None
    connect_data_expiry_days: int = Field(default=30, ge=1, le=1098)
    segment_num_results: int = Field(default=250, ge=1, le=5_000_000)
    # Models (engagement and churn): SageMaker endpoints in AWS, $AUDIENCE_HOME/models locally
    engagement_endpoint: str | None = None
    model_bucket: str | None = Field(default=None, description="Training output and the in-service records.")
    churn_endpoint: str | None = None
    model_label_days: int = Field(
        default=14,
        ge=1,
        description="Days after a features day whose events label it (churn horizon, engagement window).",
    )

    # Audience Affinity Explorer
    explorer_min_users: int = Field(
        default=30, ge=1, description="Affinity below this many engaged users in a segment is low-confidence."
    )
    explorer_refresh_seconds: float = Field(
        default=30, ge=0, description="How often the Explorer looks for a newer segmentation run."
    )

    # Web sign-in (Cognito hosted UI; API Gateway's authorizer checks the token). Unset: no sign-in.
    auth_user_pool_id: str | None = None
    auth_domain: str | None = Field(default=None, description="<prefix>.auth.<region>.amazoncognito.com")
    auth_client_name: str = "explorer-web"
    auth_client_id: str | None = Field(default=None, description="Skips the lookup of the client by name.")

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def dedup_ttl_seconds(self) -> int:
        """Dedup memory outlives the age window, so any acceptable retry is still recognised."""
        return int((self.max_event_age_days + 1) * 86_400)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
