"""Typed settings, read from the environment once: a shared base, one group of fields per slice, one
model per function.

:class:`CoreSettings` is the base; each slice's fields are a subclass of it (``IngestSettings``, ...);
each Lambda function's model (beside its handler) picks the groups it needs and names the fields
required in AWS, so a missing one fails the cold start with a pydantic ``ValidationError`` naming the
variable. :class:`Settings` combines every group for the local host, which runs all slices in one
process. The groups live here rather than in each slice so that this union stays in the core without
the core importing the slices. Logic never reads ``os.environ``. Names are ``AUDIENCE_*``; the SAM
template sets them for each function.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, ClassVar, Final, Literal, Self, TypeVar

from pydantic import Field, field_validator, model_validator
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


ENDPOINTS_KEY: Final = "activation/endpoints/endpoints.csv.gz"
"""Where activation finds the user -> channel endpoint mapping in the lake (by default)."""


class MissingSettingError(ValueError):
    """A setting the configured backend needs is unset (named by its environment variable)."""


class CoreSettings(BaseSettings):
    """What every function and the local host share. Subclasses (a slice's fields, then one model per
    function) name in ``REQUIRED_IN_AWS`` the fields that must be set when the backend is ``aws``: a
    missing one fails validation at cold start, naming its environment variable."""

    model_config = SettingsConfigDict(env_prefix="AUDIENCE_", extra="ignore", frozen=True)

    REQUIRED_IN_AWS: ClassVar[tuple[str, ...]] = ()

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
    lake_bucket: str | None = Field(default=None, description="The lake's S3 bucket (set by the template).")

    @model_validator(mode="after")
    def _required_in_aws(self) -> Self:
        if self.backend == "aws":
            missing = [
                f"AUDIENCE_{name.upper()}"
                for name in self.REQUIRED_IN_AWS
                if getattr(self, name) in (None, "")
            ]
            if missing:
                raise ValueError(f"the aws backend needs {', '.join(missing)} (not set)")
        return self

    def need(self, name: str) -> str:
        """The value of a text setting the caller cannot do without. Each function's model has already
        required it at cold start; this is the backstop for a host that skipped that model."""
        value = getattr(self, name)
        if not value:
            raise MissingSettingError(
                f"AUDIENCE_{name.upper()} is not set (the {self.backend} backend needs it)"
            )
        return str(value)

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"


class IngestSettings(CoreSettings):
    """The ingest slice: request limits, delivery retries, the stream and the live counters."""

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
    delivery_stream: str | None = None
    social_delivery_stream: str | None = Field(
        default=None, description="Firehose stream of social posts (POST /social/posts)."
    )
    counters_table: str | None = None

    # Local lake delivery (Firehose's buffering hints)
    local_buffer_records: int = Field(default=50_000, ge=1)
    local_buffer_seconds: float = Field(default=60, gt=0)
    # The local collector (docs/local-collector.md)
    local_workers: int = Field(
        default=0, ge=0, le=64, description="Handler worker processes; 0 = one per CPU, at least 2."
    )
    local_request_timeout_seconds: float = Field(
        default=29, gt=0, description="A request's deadline, as API Gateway's integration timeout: then 503."
    )
    shutdown_timeout_seconds: float = Field(
        default=25, gt=0, description="One deadline for the whole SIGTERM stop (supervisors SIGKILL at 30 s)."
    )
    test_fsync_delay_seconds: float = Field(
        default=0,
        ge=0,
        description="Test-only: every fsync of the spool and the lake writer first sleeps this long.",
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @property
    def dedup_ttl_seconds(self) -> int:
        """Dedup memory outlives the age window, so any acceptable retry is still recognised."""
        return int((self.max_event_age_days + 1) * 86_400)


class InsightsSettings(IngestSettings):
    """Insights and the dashboard: lake SQL (Athena in AWS, DuckDB locally), the insight writer, and
    ingest's live counters (hence the ingest fields)."""

    lake_database: str | None = Field(default=None, description="Glue database of the lake tables.")
    athena_workgroup: str | None = Field(default=None, description="Athena workgroup (results, limits).")
    lake_query_timeout_seconds: float = Field(default=60, gt=0)
    bedrock_model_id: str | None = Field(
        default=None, description="Bedrock model for insights; unset = the deterministic rules writer."
    )
    insights_ttl_seconds: float = Field(default=3600, ge=0, description="Serve a stored insight this long.")
    dashboard_refresh_seconds: int = Field(default=15, ge=1, description="Live figures' refresh period.")


class ActivationSettings(CoreSettings):
    """Activation of Personalize segments (docs/activation.md)."""

    activation_destination: Literal["files", "pinpoint", "connect"] = Field(
        default="files",
        description="Where segments go: Pinpoint import, Connect Customer Profiles, or files.",
    )
    activation_prefix: str = Field(
        default="activation", description="Prefix of activation output in the lake."
    )
    endpoints_key: str = Field(default=ENDPOINTS_KEY, description="The user -> endpoint mapping in the lake.")
    pinpoint_application_id: str | None = None
    pinpoint_import_role_arn: str | None = None
    connect_domain_name: str | None = None
    connect_data_expiry_days: int = Field(default=30, ge=1, le=1098)
    segment_num_results: int = Field(default=250, ge=1, le=5_000_000)

    @model_validator(mode="after")
    def _destination_needs(self) -> Self:
        """The AWS destinations' own resources, required only when that destination is chosen."""
        needs = {
            "pinpoint": ("pinpoint_application_id", "pinpoint_import_role_arn"),
            "connect": ("connect_domain_name",),
        }.get(self.activation_destination, ())
        missing = [f"AUDIENCE_{name.upper()}" for name in needs if not getattr(self, name)]
        if self.backend == "aws" and missing:
            raise ValueError(
                f"the {self.activation_destination} destination needs {', '.join(missing)} (not set)"
            )
        return self


class ModelsSettings(CoreSettings):
    """Models (engagement and churn): SageMaker endpoints in AWS, ``$AUDIENCE_HOME/models`` locally."""

    engagement_endpoint: str | None = None
    model_bucket: str | None = Field(default=None, description="Training output and the in-service records.")
    churn_endpoint: str | None = None
    model_label_days: int = Field(
        default=14,
        ge=1,
        description="Days after a features day whose events label it (churn horizon, engagement window).",
    )


class ExplorerSettings(CoreSettings):
    """The Audience Affinity Explorer."""

    explorer_min_users: int = Field(
        default=30, ge=1, description="Affinity below this many engaged users in a segment is low-confidence."
    )
    explorer_refresh_seconds: float = Field(
        default=30, ge=0, description="How often the Explorer looks for a newer segmentation run."
    )


class WebSettings(InsightsSettings, ExplorerSettings):
    """The web shell (its pages: the dashboard and the Explorer) and its sign-in (Cognito hosted UI; API
    Gateway's authorizer checks the token). No user pool: no sign-in."""

    auth_user_pool_id: str | None = None
    auth_domain: str | None = Field(default=None, description="<prefix>.auth.<region>.amazoncognito.com")
    auth_client_name: str = "explorer-web"
    auth_client_id: str | None = Field(default=None, description="Skips the lookup of the client by name.")


class Settings(WebSettings, ActivationSettings, ModelsSettings):
    """Every slice's settings at once: the local development host and the command-line entry points,
    which run all the slices in one process. Each Lambda function validates its own model instead."""


S = TypeVar("S", bound=CoreSettings)


class SettingsCache:
    """Settings read from the environment once per process and model: ``get_settings()`` for the whole,
    ``get_settings.load(Model)`` for a function's own model. ``cache_clear()`` forgets them all (tests
    that change the environment)."""

    def __init__(self) -> None:
        self._loaded: dict[type[CoreSettings], CoreSettings] = {}

    def __call__(self) -> Settings:
        return self.load(Settings)

    def load(self, model: type[S]) -> S:
        loaded = self._loaded.get(model)
        if loaded is None:
            loaded = self._loaded[model] = model()
        assert isinstance(loaded, model)
        return loaded

    def cache_clear(self) -> None:
        self._loaded.clear()


get_settings = SettingsCache()
