"""Affinity per segment and channel: (segment's average engagement on the channel / overall
average engagement on the channel) x 100.

Bands: 120 or more is a sweet spot, 80 or less is to de-prioritise, in between neutral. A score
rests on the segment's users *engaged on the channel* (value > 0): fewer than ``min_users`` of them
and it is flagged ``low_confidence`` (a handful of heavy users can make any ratio look large).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

Band = Literal["sweet_spot", "neutral", "deprioritise"]
SWEET_SPOT: Final = 120.0
DEPRIORITISE: Final = 80.0
PROFILE_CHANNELS: Final = {
    "social_media": "time_on_social_media_min",
    "streaming_video": "time_on_streaming_video_min",
    "podcasts": "time_on_podcasts_min",
}


@dataclass(frozen=True)
class Affinity:
    segment_id: str
    channel: str
    score: float | None
    band: Band | None
    segment_average: float
    overall_average: float
    engaged_users: int
    low_confidence: bool


def band(score: float) -> Band:
    if score >= SWEET_SPOT:
        return "sweet_spot"
    if score <= DEPRIORITISE:
        return "deprioritise"
    return "neutral"


def affinity_scores(
    segment_ids: Sequence[str] | npt.NDArray[np.str_],
    channels: Mapping[str, npt.NDArray[np.float64]],
    *,
    min_users: int = 30,
) -> list[Affinity]:
    """Scores for every (segment, channel). NaN engagement counts as unknown, not zero, in both means."""
    ids = np.asarray(segment_ids)
    out: list[Affinity] = []
    for channel, raw in channels.items():
        values = np.asarray(raw, dtype=np.float64)
        known = ~np.isnan(values)
        if not known.any():
            continue
        overall = float(values[known].mean())
        for sid in sorted(set(ids.tolist())):
            members = (ids == sid) & known
            seg_avg = float(values[members].mean()) if members.any() else 0.0
            engaged = int((values[members] > 0).sum())
            score = seg_avg / overall * 100 if overall > 0 and members.any() else None
            out.append(
                Affinity(
                    segment_id=sid,
                    channel=channel,
                    score=score,
                    band=None if score is None else band(score),
                    segment_average=seg_avg,
                    overall_average=overall,
                    engaged_users=engaged,
                    low_confidence=engaged < min_users,
                )
            )
    return out
