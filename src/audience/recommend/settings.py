"""The recommendations slice's settings (``AUDIENCE_*``), validated once at start-up.

Arms and their split are configuration: ``AUDIENCE_RECOMMENDATION_ARMS='{"baseline": 50,
"personalize": 50}'`` (relative weights). A user's arm is a stable hash of the user id and the
experiment name, so it never changes between requests, processes or Lambda instances.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VARIANTS = ("baseline", "personalize")


def _default_backend() -> Literal["aws", "local"]:
    in_aws = "AWS_LAMBDA_FUNCTION_NAME" in os.environ or os.environ.get("AWS_EXECUTION_ENV", "").startswith(
        "AWS_"
    )
    return "aws" if in_aws else "local"


class RecommendSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIENCE_", extra="ignore", frozen=True)

    backend: Literal["aws", "local"] = Field(default_factory=_default_backend)
    home: Path = Path(".audience")
    recommendations_table: str | None = Field(default=None, description="DynamoDB table (aws backend).")
    recommendations_campaign_arn: str | None = Field(
        default=None, description="Serve the personalize arm live from this campaign (GetRecommendations)."
    )
    lake_bucket: str | None = None
    served_stream: str | None = Field(default=None, description="Firehose stream of served lists (aws).")
    recommendations_filter_arn: str | None = Field(default=None, description="The seen-items filter.")
    recommendation_arms: dict[str, float] = Field(
        default_factory=lambda: {"baseline": 50.0, "personalize": 50.0}
    )
    recommendation_experiment: str = Field(default="recs-ab-1", min_length=1, max_length=64)
    recommendation_ttl_days: float = Field(
        default=7.0, gt=0, le=365, description="Lists expire after this (TTL)."
    )
    recommendation_default_results: int = Field(default=25, ge=1, le=500)
    recommendation_max_results: int = Field(default=100, ge=1, le=500)

    @field_validator("recommendation_arms")
    @classmethod
    def _arms(cls, arms: dict[str, float]) -> dict[str, float]:
        unknown = set(arms) - set(VARIANTS)
        if unknown:
            raise ValueError(f"unknown variant(s) {sorted(unknown)}; known: {list(VARIANTS)}")
        if not arms or any(w < 0 for w in arms.values()) or sum(arms.values()) <= 0:
            raise ValueError("arms need non-negative weights with a positive sum")
        return arms

    @property
    def recommendation_ttl_seconds(self) -> int:
        return int(self.recommendation_ttl_days * 86_400)

    @property
    def table_path(self) -> Path:
        return self.home.resolve() / "state" / "recommendations.db"
