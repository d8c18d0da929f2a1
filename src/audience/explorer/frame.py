"""The audience as columns: numeric, categorical and multi-label attributes per user.

Built from validated :class:`~audience.explorer.profiles.RichProfile` rows (or directly from arrays,
for the benchmark), optionally joined with behavioural features from the lake. numpy only, so the
same code runs in the segmentation job, the web app and the SageMaker container.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt

from audience.explorer.profiles import (
    EDUCATION_LEVELS,
    EVENT_GENRES,
    HOMEOWNER_STATUSES,
    INCOME_BRACKETS,
    MARITAL_STATUSES,
    PARTNER_CATEGORIES,
    TRAVELER_TYPES,
    RichProfile,
)

FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]

NUMERIC: Final = (
    "time_on_social_media_min",
    "time_on_streaming_video_min",
    "time_on_podcasts_min",
    "monthly_conversions",
    "avg_monthly_spend",
    "last_seen_days_ago",
    "support_tickets_raised",
    "household_size",
    "estimated_net_worth",
    "offline_purchase_intent",
    "tenure_days",
)
SKEWED: Final = frozenset(
    {
        "time_on_social_media_min",
        "time_on_streaming_video_min",
        "time_on_podcasts_min",
        "monthly_conversions",
        "avg_monthly_spend",
        "last_seen_days_ago",
        "support_tickets_raised",
        "estimated_net_worth",
        "tenure_days",
    }
)
"""Long-tailed columns: clustered on log1p, so a few heavy users do not stretch the scale."""
CATEGORICAL: Final = (
    "age_group",
    "income_bracket",
    "traveler_type",
    "education_level",
    "marital_status",
    "homeowner_status",
    "presence_of_children",
    "churned_in_last_90_days",
)
LEVELS: Final[Mapping[str, list[str]]] = {
    "age_group": ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
    "income_bracket": list(INCOME_BRACKETS),
    "traveler_type": list(TRAVELER_TYPES),
    "education_level": list(EDUCATION_LEVELS),
    "marital_status": list(MARITAL_STATUSES),
    "homeowner_status": list(HOMEOWNER_STATUSES),
    "presence_of_children": ["false", "true"],
    "churned_in_last_90_days": ["false", "true"],
}
"""Each categorical attribute's vocabulary (the contract's levels), in a fixed order."""
CLUSTER_EXCLUDE: Final = frozenset({"churned_in_last_90_days"})
"""An outcome, not a trait: clustering on it splits every segment into churned and retained halves
(churn risk is shown per segment instead)."""
MULTI_LABEL: Final = {
    "partner_purchase_categories": PARTNER_CATEGORIES,
    "event_attendance_genres": EVENT_GENRES,
}


@dataclass
class AudienceFrame:
    """Column arrays of equal length, one row per user (``user_ids`` unique)."""

    user_ids: StrArray
    numeric: dict[str, FloatArray]
    categorical: dict[str, StrArray]
    multi: dict[str, FloatArray] = field(default_factory=dict)
    """``attribute=level`` -> 0/1 per user (multi-label attributes, one column per level)."""
    behaviour: dict[str, FloatArray] = field(default_factory=dict)
    """Lake features (NaN where a user has none): shown in profiles, not clustered on."""
    planted: StrArray | None = None
    """The generator's planted segment, when known (for the adjusted Rand index)."""
    _codes: dict[str, tuple[list[str], npt.NDArray[np.intp]]] = field(default_factory=dict, repr=False)

    def codes(self, name: str) -> tuple[list[str], npt.NDArray[np.intp]]:
        """A categorical column as (its sorted levels, each user's index into them), computed once:
        sorting a million strings is the slowest step of profiling a large audience."""
        if name not in self._codes:
            uniq, inverse = np.unique(self.categorical[name], return_inverse=True)
            self._codes[name] = ([str(u) for u in uniq.tolist()], inverse.astype(np.intp))
        return self._codes[name]

    def __len__(self) -> int:
        return len(self.user_ids)

    def take(self, index: npt.NDArray[np.intp]) -> AudienceFrame:
        return AudienceFrame(
            user_ids=self.user_ids[index],
            numeric={k: v[index] for k, v in self.numeric.items()},
            categorical={k: v[index] for k, v in self.categorical.items()},
            multi={k: v[index] for k, v in self.multi.items()},
            behaviour={k: v[index] for k, v in self.behaviour.items()},
            planted=None if self.planted is None else self.planted[index],
        )


def from_profiles(
    profiles: Sequence[RichProfile], as_of: date, planted: Mapping[str, str] | None = None
) -> AudienceFrame:
    numeric: dict[str, list[float]] = {name: [] for name in NUMERIC}
    categorical: dict[str, list[str]] = {name: [] for name in CATEGORICAL}
    multi: dict[str, list[float]] = {
        f"{attr}={level}": [] for attr, levels in MULTI_LABEL.items() for level in levels
    }
    for p in profiles:
        for name in NUMERIC:
            if name == "tenure_days":
                numeric[name].append(float(max(0, (as_of - p.customer_since_date).days)))
            else:
                numeric[name].append(float(getattr(p, name)))
        for name in CATEGORICAL:
            value = getattr(p, name)
            categorical[name].append(str(value).lower() if isinstance(value, bool) else str(value))
        for attr, levels in MULTI_LABEL.items():
            chosen = set(getattr(p, attr))
            for level in levels:
                multi[f"{attr}={level}"].append(1.0 if level in chosen else 0.0)
    ids = np.array([p.user_id for p in profiles], dtype=np.str_)
    return AudienceFrame(
        user_ids=ids,
        numeric={k: np.asarray(v, dtype=np.float64) for k, v in numeric.items()},
        categorical={k: np.asarray(v, dtype=np.str_) for k, v in categorical.items()},
        multi={k: np.asarray(v, dtype=np.float64) for k, v in multi.items()},
        planted=None if planted is None else np.array([planted.get(str(u), "") for u in ids], dtype=np.str_),
    )


def join_behaviour(
    frame: AudienceFrame, user_ids: Sequence[str], columns: Mapping[str, Sequence[float]]
) -> int:
    """Attach lake features to ``frame`` by user id (NaN for users without); returns users matched."""
    position = {u: i for i, u in enumerate(user_ids)}
    index = np.array([position.get(str(u), -1) for u in frame.user_ids], dtype=np.intp)
    found = index >= 0
    for name, values in columns.items():
        source = np.asarray(values, dtype=np.float64)
        out = np.full(len(frame), np.nan)
        out[found] = source[index[found]]
        frame.behaviour[name] = out
    return int(found.sum())
