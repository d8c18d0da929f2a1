"""Tables one stage writes and another reads: the models' predictions and the Explorer's segments.

They are the contract between stages (the Explorer and the insights read the models' scores; the
insights and the dashboard read segment members), so, like the feature tables, one pydantic model per
table is the single source of their columns. ``python -m schemas.derive`` writes
``schemas/generated/lake_tables.json``; the template's Glue tables (Athena reads them in AWS) and the
local writers are tested against it. Every table is partitioned by ``as_of`` (``YYYY-MM-DD``) and
stored at ``<lake>/<location>as_of=YYYY-MM-DD/``; readers take the latest ``as_of``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChurnScores(_Table):
    """Each scored user's churn risk, from the model in service (written by ``audience.models``)."""

    user_id: str
    churn_probability: float = Field(ge=0, le=1, description="Calibrated probability of no activity.")
    risk_band: Literal["low", "medium", "high"] = Field(description="high >= 0.6, medium >= 0.3.")
    model_version: str
    scored_at: datetime


class EngagementScores(_Table):
    """Predicted engagement score of user x content pairs (written by ``audience.models``)."""

    user_id: str
    content_id: str
    predicted_engagement: float
    model_version: str
    scored_at: datetime


class SegmentAssignments(_Table):
    """Which segment each user belongs to, per method (written by the Explorer's segmentation job)."""

    user_id: str
    segment_id: str
    segment_name: str
    method: str = Field(description="kmeans or hdbscan.")
    model_version: str


class LakeTable(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    model: type[BaseModel]
    location: str = Field(description="Prefix in the lake, ending in '/'.")
    writer: str


LAKE_TABLES: Final[tuple[LakeTable, ...]] = (
    LakeTable(
        name="churn_scores",
        model=ChurnScores,
        location="predictions/churn_scores/",
        writer="audience.models (score)",
    ),
    LakeTable(
        name="engagement_scores",
        model=EngagementScores,
        location="predictions/engagement_scores/",
        writer="audience.models (score)",
    ),
    LakeTable(
        name="segment_assignments",
        model=SegmentAssignments,
        location="segments/assignments/",
        writer="audience.explorer (segmentation job)",
    ),
)
"""The shared tables, by their Glue table names (the names the insights' queries use)."""
