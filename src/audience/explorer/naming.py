"""Naming and identity of segments: a readable name from a segment's most distinctive attributes,
and ids that stay stable across runs (a new segment inherits the id of the previous run's segment
whose log-lift signature is closest, if close enough; otherwise an id hashed from its own
signature, so the same data always gives the same ids).

Split from :mod:`audience.explorer.segmentation`, which clusters; this module only reads profiles.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from audience.explorer.frame import NUMERIC
from audience.explorer.kinds import Method

MATCH_DISTANCE: Final = 0.35
"""Max RMS log-lift distance for a segment to inherit a previous run's id."""

# Human words for the names generated from the most distinctive attributes.
NUMERIC_WORDS: Final[Mapping[str, tuple[str, str]]] = {
    "time_on_social_media_min": ("Social-heavy", "Social-light"),
    "time_on_streaming_video_min": ("Streaming bingers", "Light streamers"),
    "time_on_podcasts_min": ("Podcast lovers", "Rare podcast listeners"),
    "monthly_conversions": ("Frequent converters", "Rare converters"),
    "avg_monthly_spend": ("High spenders", "Low spenders"),
    "last_seen_days_ago": ("Lapsing", "Recently active"),
    "support_tickets_raised": ("Support-heavy", "Low-touch"),
    "household_size": ("Large households", "Small households"),
    "estimated_net_worth": ("Affluent", "Modest means"),
    "offline_purchase_intent": ("Ready to buy", "Low purchase intent"),
    "tenure_days": ("Long-time customers", "New customers"),
}
LEVEL_WORDS: Final[Mapping[str, str]] = {
    "age_group": "Age {}",
    "income_bracket": "Income {}",
    "traveler_type": "{} travelers",
    "education_level": "{}",
    "marital_status": "{}",
    "homeowner_status": "{}",
    "presence_of_children": "Children: {}",
    "churned_in_last_90_days": "Churned: {}",
    "partner_purchase_categories": "Buys {}",
    "event_attendance_genres": "Goes to {}",
}
SPECIAL_WORDS: Final[Mapping[tuple[str, str], str]] = {
    ("presence_of_children", "true"): "Parents",
    ("presence_of_children", "false"): "No children",
    ("churned_in_last_90_days", "true"): "Recently churned",
    ("churned_in_last_90_days", "false"): "Retained",
    ("homeowner_status", "owner"): "Homeowners",
    ("homeowner_status", "renter"): "Renters",
    ("homeowner_status", "living_with_family"): "Living with family",
    ("traveler_type", "non_traveler"): "Non-travelers",
}


@dataclass
class ProfileRow:
    attribute: str
    level: str
    kind: Literal["mean", "share"]
    segment_value: float
    population_value: float
    lift: float | None


def describe(rows: Sequence[ProfileRow], limit: int = 3) -> tuple[str, list[ProfileRow]]:
    """A name from the most distinctive attributes (highest |log lift|), and those attributes."""
    candidates: list[tuple[float, ProfileRow]] = []
    for row in rows:
        if (
            row.lift is None
            or row.lift <= 0
            or row.attribute.startswith("events")
            or row.attribute in ("watch",)
        ):
            continue
        if row.kind == "mean" and row.attribute in NUMERIC_WORDS:
            # What a segment does more of names it better than what it lacks ("Podcast lovers" beats
            # "Light streamers"), so under-indexing counts half.
            candidates.append((abs(math.log(row.lift)) * (1.0 if row.lift >= 1 else 0.5), row))
        elif row.kind == "share" and row.segment_value >= 0.3 and row.lift > 1:
            # A level only names a segment when it is common in it and over-indexed.
            candidates.append((math.log(row.lift) * math.sqrt(row.segment_value), row))
    candidates.sort(key=lambda c: (-c[0], c[1].attribute, c[1].level))
    chosen: list[ProfileRow] = []
    for _, row in candidates:
        if row.attribute not in {c.attribute for c in chosen}:
            chosen.append(row)
        if len(chosen) == limit:
            break
    return " · ".join(word(r) for r in chosen) or "Typical audience", chosen


def word(row: ProfileRow) -> str:
    if row.kind == "mean":
        high, low = NUMERIC_WORDS.get(row.attribute, (f"High {row.attribute}", f"Low {row.attribute}"))
        return high if (row.lift or 1) >= 1 else low
    special = SPECIAL_WORDS.get((row.attribute, row.level))
    if special:
        return special
    level = row.level.replace("_", " ")
    text = LEVEL_WORDS.get(row.attribute, row.attribute + " {}").format(level)
    return text[:1].upper() + text[1:]


def signature(rows: Sequence[ProfileRow]) -> dict[str, float]:
    """A segment's fingerprint: log lift per attribute level (clipped), used to match across runs."""
    out: dict[str, float] = {}
    for r in rows:
        if r.lift is None or not ((r.kind == "mean" and r.attribute in NUMERIC) or r.kind == "share"):
            continue
        out[f"{r.attribute}={r.level}"] = max(-3.0, min(3.0, math.log(max(r.lift, 1e-3))))
    return out


def signature_id(method: Method, sig: Mapping[str, float]) -> str:
    text = ";".join(f"{k}:{v:.1f}" for k, v in sorted(sig.items()))
    prefix = "km" if method == "kmeans" else "hdb"
    return f"{prefix}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"  # noqa: S324 - an id, not security


def stable_ids(
    method: Method, signatures: Sequence[dict[str, float]], previous: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """Ids for this run's segments: a previous id when the profile matches one, else a hash of the profile."""
    ids = [signature_id(method, s) for s in signatures]
    if previous and signatures:
        old = list(previous.items())
        cost = np.zeros((len(signatures), len(old)))
        for i, sig in enumerate(signatures):
            for j, (_, prev) in enumerate(old):
                keys = sorted(set(sig) & set(prev))
                cost[i, j] = (
                    math.sqrt(sum((sig[k] - prev[k]) ** 2 for k in keys) / len(keys)) if keys else 9.0
                )
        for i, j in zip(*linear_sum_assignment(cost), strict=True):
            if cost[i, j] <= MATCH_DISTANCE:
                ids[i] = old[j][0]
    # Two segments can never share an id (identical profiles would be one segment).
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        seen[value] = seen.get(value, 0) + 1
        if seen[value] > 1:
            ids[i] = f"{value}-{seen[value]}"
    return ids
