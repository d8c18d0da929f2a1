"""The influencers slice's settings (``AUDIENCE_*``), read once by :mod:`audience.influencers.wiring`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _running_in_aws() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ or os.environ.get("AWS_EXECUTION_ENV", "").startswith(
        "AWS_"
    )


class InfluencerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIENCE_", extra="ignore", frozen=True)

    backend: Literal["aws", "local"] = Field(default_factory=lambda: "aws" if _running_in_aws() else "local")
    home: Path = Field(default=Path(".audience"))
    api_url: str = Field(
        default="http://127.0.0.1:8000", description="The ingest API the connectors post to."
    )
    api_key: str | None = None
    influencers_table: str | None = Field(default=None, description="DynamoDB serving table (aws backend).")
    cursor_parameter_prefix: str = Field(
        default="/audience/influencers/cursor", description="SSM parameter prefix of stream cursors (aws)."
    )
    jetstream_url: str = "wss://jetstream2.us-east.bsky.network/subscribe"
    window_hours: float = Field(default=24.0, gt=0, description="The scoring job's sliding window.")
    comprehend_language: str = "en"
    project_root: Path = Field(default_factory=lambda: find_project_root(), description="The checkout.")

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"


class InfluencerAllocateSettings(InfluencerSettings):
    """The allocator function's settings: in AWS it cannot answer without the serving table, so a
    missing ``AUDIENCE_INFLUENCERS_TABLE`` fails the cold start, naming the setting."""

    @model_validator(mode="after")
    def _table_in_aws(self) -> InfluencerAllocateSettings:
        if self.backend == "aws" and not self.influencers_table:
            raise ValueError("AUDIENCE_INFLUENCERS_TABLE is required with the aws backend")
        return self


def find_project_root(start: Path | None = None) -> Path:
    """The checkout holding ``pyproject.toml`` and ``glue_jobs/`` (the local Glue runner's cwd)."""
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "glue_jobs").is_dir():
            return folder
    return Path.cwd()
