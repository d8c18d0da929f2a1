"""The in-memory snapshot of the segmentation job's latest run: what the Explorer's service answers
from. Read from the lake once per run (the run document's ``model_version`` is the cache key), with
the models' churn and engagement scores summarised per segment when they exist.

Split from :mod:`audience.explorer.service`, which answers requests from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from audience.core.objectstore.ports import ObjectStore
from audience.explorer import lakeio


@dataclass
class Snapshot:
    run: dict[str, Any]
    segments: dict[str, dict[str, dict[str, Any]]]
    """method -> segment id -> summary (name, size, share, x, y, churn, engagement)."""
    profiles: dict[tuple[str, str], list[dict[str, Any]]]
    affinity: dict[tuple[str, str], list[dict[str, Any]]]
    user_ids: npt.NDArray[np.str_]
    embedding: npt.NDArray[np.float64]
    labels: dict[str, npt.NDArray[np.str_]]
    """method -> segment id per user (aligned with ``user_ids``)."""
    position: dict[str, int] = field(default_factory=dict)
    predictions: dict[str, str] = field(default_factory=dict)


def _prediction_summaries(store: ObjectStore, snap: Snapshot) -> None:
    """Churn risk and predicted engagement per segment, when the models' tables exist."""
    churn = lakeio.read_table(store, lakeio.CHURN_SCORES)
    engagement = lakeio.read_table(store, lakeio.ENGAGEMENT_SCORES)
    if churn is not None:
        snap.predictions["churn"] = str(churn.column("model_version")[0]) if churn.num_rows else ""
    if engagement is not None:
        snap.predictions["engagement"] = (
            str(engagement.column("model_version")[0]) if engagement.num_rows else ""
        )
    per_user: dict[str, dict[str, float]] = {}
    if churn is not None:
        for uid, p, band in zip(
            churn.column("user_id").to_pylist(),
            churn.column("churn_probability").to_pylist(),
            churn.column("risk_band").to_pylist(),
            strict=True,
        ):
            if p is not None:
                per_user.setdefault(str(uid), {})["churn"] = float(p)
                per_user[str(uid)]["high"] = 1.0 if band == "high" else 0.0
    if engagement is not None:
        sums: dict[str, list[float]] = {}
        for uid, v in zip(
            engagement.column("user_id").to_pylist(),
            engagement.column("predicted_engagement").to_pylist(),
            strict=True,
        ):
            if v is not None:
                acc = sums.setdefault(str(uid), [0.0, 0.0])
                acc[0] += float(v)
                acc[1] += 1
        for uid, (total, n) in sums.items():
            per_user.setdefault(uid, {})["engagement"] = total / n
    for method, labels in snap.labels.items():
        acc2: dict[str, dict[str, list[float]]] = {}
        for uid, sid in zip(snap.user_ids.tolist(), labels.tolist(), strict=True):
            values = per_user.get(uid)
            if not values:
                continue
            bucket = acc2.setdefault(sid, {})
            for name, v in values.items():
                bucket.setdefault(name, []).append(v)
        for sid, summary in snap.segments[method].items():
            bucket = acc2.get(sid, {})
            summary["churn_risk"] = (
                {
                    "mean_probability": round(float(np.mean(bucket["churn"])), 4),
                    "high_risk_share": round(float(np.mean(bucket["high"])), 4),
                    "scored_users": len(bucket["churn"]),
                }
                if bucket.get("churn")
                else None
            )
            summary["predicted_engagement"] = (
                {
                    "mean": round(float(np.mean(bucket["engagement"])), 4),
                    "scored_users": len(bucket["engagement"]),
                }
                if bucket.get("engagement")
                else None
            )


def load_snapshot(store: ObjectStore) -> Snapshot | None:
    as_of = lakeio.latest_as_of(store, lakeio.RUNS)
    if as_of is None:
        return None
    run = lakeio.read_json(store, f"{lakeio.RUNS}/as_of={as_of}/run.json")
    profiles_t = lakeio.read_table(store, lakeio.PROFILES, as_of)
    affinity_t = lakeio.read_table(store, lakeio.AFFINITY, as_of)
    assign_t = lakeio.read_table(store, lakeio.ASSIGNMENTS, as_of)
    embed_t = lakeio.read_table(store, lakeio.EMBEDDING, as_of)
    if run is None or profiles_t is None or affinity_t is None or assign_t is None or embed_t is None:
        return None
    segments = {
        method: {s["segment_id"]: dict(s) for s in info["segments"]}
        for method, info in run["methods"].items()
    }
    profiles: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in profiles_t.select(
        ["method", "segment_id", "attribute", "level", "kind", "segment_value", "population_value", "lift"]
    ).to_pylist():
        profiles.setdefault((row.pop("method"), row.pop("segment_id")), []).append(row)
    affinity: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in affinity_t.drop_columns(["model_version"]).to_pylist():
        affinity.setdefault((row.pop("method"), row.pop("segment_id")), []).append(row)
    user_ids = np.array(embed_t.column("user_id").to_pylist(), dtype=np.str_)
    dims = sorted(c for c in embed_t.column_names if c.startswith("e"))
    embedding = np.column_stack([embed_t.column(c).to_numpy().astype(np.float64) for c in dims])
    position = {u: i for i, u in enumerate(user_ids.tolist())}
    labels: dict[str, npt.NDArray[np.str_]] = {}
    methods = assign_t.column("method").to_pylist()
    uids = assign_t.column("user_id").to_pylist()
    sids = assign_t.column("segment_id").to_pylist()
    for method in segments:
        out = np.empty(len(user_ids), dtype=object)
        for m, u, s in zip(methods, uids, sids, strict=True):
            if m == method:
                out[position[u]] = s
        labels[method] = out.astype(np.str_)
    snap = Snapshot(run, segments, profiles, affinity, user_ids, embedding, labels, position)
    _prediction_summaries(store, snap)
    return snap
