"""The segmentation job: profiles (+ lake features) in, segments, profiles, affinity and embedding out.

One function, :func:`run`, serves every place the job runs: ``make demo`` (the local lake folder),
``python -m audience.explorer segment`` and the cloud (a SageMaker Processing job whose input and
output are folders, see ``sagemaker/explorer_segmentation.py``). Reads and writes go through the
:class:`~audience.core.objectstore.ports.ObjectStore` port.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from audience.explorer import lakeio
from audience.explorer.affinity import PROFILE_CHANNELS, Affinity, affinity_scores
from audience.explorer.frame import AudienceFrame, FloatArray, from_profiles, join_behaviour
from audience.explorer.kinds import METHODS, NOISE_ID, Method
from audience.explorer.naming import ProfileRow, signature
from audience.explorer.profiles import load_rich_csv
from audience.explorer.segmentation import Segmentation, encode, segment

if TYPE_CHECKING:  # the port is only a type here: the Glue job ships without schemas/
    from audience.core.objectstore.ports import ObjectStore

BEHAVIOUR_COLUMNS = ("events", "active_days", "watch_time_seconds", "engagement_score", "completion_ratio")


@dataclass
class JobConfig:
    profiles_csv: Path
    users_csv: Path | None = None
    """``users.csv`` with ``planted_segment``: only to report the adjusted Rand index."""
    as_of: date = field(default_factory=lambda: datetime.now(UTC).date())
    k: int | None = None
    k_min: int = 3
    k_max: int = 10
    methods: Sequence[Method] = METHODS
    min_users: int = 30
    seed: int = 7


@dataclass
class JobReport:
    model_version: str
    as_of: str
    users: int
    behaviour_users: int
    results: dict[str, Segmentation]
    affinity: dict[str, list[Affinity]]
    keys: list[str]


def _planted(path: Path | None) -> dict[str, str] | None:
    if path is None or not path.exists():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["user_id"]: row.get("planted_segment", "") for row in csv.DictReader(handle)}


def _behaviour(store: ObjectStore, frame: AudienceFrame) -> tuple[int, dict[str, FloatArray]]:
    """Join the latest user features; platform watch time becomes one affinity channel per platform."""
    table = lakeio.read_table(store, lakeio.USER_FEATURES)
    if table is None:
        return 0, {}
    ids = [str(u) for u in table.column("user_id").to_pylist()]
    columns = {
        name: [float("nan") if v is None else float(v) for v in table.column(name).to_pylist()]
        for name in BEHAVIOUR_COLUMNS
        if name in table.column_names
    }
    matched = join_behaviour(frame, ids, columns)
    channels: dict[str, FloatArray] = {}
    if "watch_time_by_platform" in table.column_names:
        per_user: list[dict[str, float]] = [
            dict(m) if m else {} for m in table.column("watch_time_by_platform").to_pylist()
        ]
        platforms = sorted({p for m in per_user for p in m})
        position = {u: i for i, u in enumerate(ids)}
        for platform in platforms:
            # A user of the audience with no events spent no time on the platform: 0, not unknown.
            values = np.zeros(len(frame))
            for row, uid in enumerate(frame.user_ids.tolist()):
                i = position.get(uid)
                if i is not None:
                    values[row] = per_user[i].get(platform, 0.0)
            channels[f"platform:{platform}"] = values
    return matched, channels


def _previous_signatures(store: ObjectStore, as_of: str) -> dict[str, dict[str, dict[str, float]]]:
    """Each method's segments of the last run before today, as profile signatures (for stable ids)."""
    before = lakeio.latest_as_of(store, lakeio.PROFILES, before=as_of)
    table = None if before is None else lakeio.read_table(store, lakeio.PROFILES, before)
    if table is None:
        return {}
    rows: dict[tuple[str, str], list[ProfileRow]] = {}
    for row in table.to_pylist():
        if row["segment_id"] == NOISE_ID:
            continue
        rows.setdefault((row["method"], row["segment_id"]), []).append(
            ProfileRow(
                row["attribute"],
                row["level"],
                row["kind"],
                row["segment_value"],
                row["population_value"],
                row["lift"],
            )
        )
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (method, sid), profile in rows.items():
        out.setdefault(method, {})[sid] = signature(profile)
    return out


def model_version(config: JobConfig, data: bytes) -> str:
    spec = f"{config.k}:{config.k_min}:{config.k_max}:{config.seed}:{','.join(config.methods)}"
    digest = hashlib.sha256(data + spec.encode()).hexdigest()[:10]
    return f"segments-{config.as_of.isoformat()}-{digest}"


def run(config: JobConfig, store: ObjectStore, progress: Callable[[str], None] = lambda _: None) -> JobReport:
    as_of = config.as_of.isoformat()
    profiles = load_rich_csv(config.profiles_csv)
    frame = from_profiles(profiles, config.as_of, _planted(config.users_csv))
    progress(f"{len(frame):,} profiles validated from {config.profiles_csv.name}")
    behaviour_users, platform_channels = _behaviour(store, frame)
    progress(
        f"behavioural features joined for {behaviour_users:,} users"
        if behaviour_users
        else "no user features in the lake yet: profiles only"
    )
    version = model_version(config, config.profiles_csv.read_bytes())
    previous = _previous_signatures(store, as_of)
    encoded = encode(frame, seed=config.seed)
    progress(
        f"encoded to {encoded.embedding.shape[1]} PCA dimensions ({encoded.explained_variance:.0%} of variance)"
    )

    channels: dict[str, FloatArray] = {name: frame.numeric[col] for name, col in PROFILE_CHANNELS.items()}
    channels.update(platform_channels)

    results: dict[str, Segmentation] = {}
    affinity: dict[str, list[Affinity]] = {}
    assignment_rows: dict[str, list[Any]] = {
        c: [] for c in ("user_id", "segment_id", "segment_name", "method", "model_version")
    }
    profile_rows: dict[str, list[Any]] = {
        c: []
        for c in (
            "method",
            "segment_id",
            "segment_name",
            "segment_size",
            "segment_share",
            "attribute",
            "level",
            "kind",
            "segment_value",
            "population_value",
            "lift",
            "model_version",
        )
    }
    affinity_rows: dict[str, list[Any]] = {
        c: []
        for c in (
            "method",
            "segment_id",
            "channel",
            "score",
            "band",
            "segment_average",
            "overall_average",
            "engaged_users",
            "low_confidence",
            "model_version",
        )
    }
    run_doc: dict[str, Any] = {
        "model_version": version,
        "as_of": as_of,
        "created_at": datetime.now(UTC).isoformat(),
        "users": len(frame),
        "behaviour_users": behaviour_users,
        "embedding_dims": int(encoded.embedding.shape[1]),
        "explained_variance": round(encoded.explained_variance, 4),
        "channels": list(channels),
        "min_users": config.min_users,
        "methods": {},
    }
    for method in config.methods:
        result = segment(
            frame,
            method,
            encoded=encoded,
            k=config.k,
            k_range=range(config.k_min, config.k_max + 1),
            seed=config.seed,
            previous=previous.get(method),
        )
        results[method] = result
        ids = np.array(result.ids_per_user(), dtype=np.str_)
        names = {s.segment_id: s.name for s in result.segments}
        assignment_rows["user_id"].extend(frame.user_ids.tolist())
        assignment_rows["segment_id"].extend(ids.tolist())
        assignment_rows["segment_name"].extend(names[i] for i in ids.tolist())
        assignment_rows["method"].extend([method] * len(frame))
        assignment_rows["model_version"].extend([version] * len(frame))
        for s in result.segments:
            for r in s.profile:
                for column, value in (
                    ("method", method),
                    ("segment_id", s.segment_id),
                    ("segment_name", s.name),
                    ("segment_size", s.size),
                    ("segment_share", s.share),
                    ("attribute", r.attribute),
                    ("level", r.level),
                    ("kind", r.kind),
                    ("segment_value", r.segment_value),
                    ("population_value", r.population_value),
                    ("lift", r.lift),
                    ("model_version", version),
                ):
                    profile_rows[column].append(value)
        scores = affinity_scores(ids, channels, min_users=config.min_users)
        affinity[method] = scores
        for a in scores:
            for column, value in (
                ("method", method),
                ("segment_id", a.segment_id),
                ("channel", a.channel),
                ("score", a.score),
                ("band", a.band),
                ("segment_average", a.segment_average),
                ("overall_average", a.overall_average),
                ("engaged_users", a.engaged_users),
                ("low_confidence", a.low_confidence),
                ("model_version", version),
            ):
                affinity_rows[column].append(value)
        run_doc["methods"][method] = {
            "params": result.params,
            "adjusted_rand_index": None if result.ari is None else round(result.ari, 4),
            "segments": [
                {
                    "segment_id": s.segment_id,
                    "name": s.name,
                    "size": s.size,
                    "share": round(s.share, 6),
                    "x": round(s.x, 4),
                    "y": round(s.y, 4),
                    "is_noise": s.is_noise,
                }
                for s in result.segments
            ],
        }
        ari = "" if result.ari is None else f", adjusted Rand index vs planted {result.ari:.3f}"
        progress(f"{method}: {sum(not s.is_noise for s in result.segments)} segments{ari}")

    embedding = {"user_id": pa.array(frame.user_ids.tolist(), pa.string())}
    for d in range(encoded.embedding.shape[1]):
        embedding[f"e{d:02d}"] = pa.array(encoded.embedding[:, d].astype(np.float32))
    keys = [
        lakeio.write_table(store, lakeio.ASSIGNMENTS, as_of, pa.table(assignment_rows)),
        lakeio.write_table(store, lakeio.PROFILES, as_of, pa.table(profile_rows)),
        lakeio.write_table(store, lakeio.AFFINITY, as_of, pa.table(affinity_rows)),
        lakeio.write_table(store, lakeio.EMBEDDING, as_of, pa.table(embedding)),
    ]
    # Last: a reader that finds the run document can trust the tables beside it are complete.
    run_key = f"{lakeio.RUNS}/as_of={as_of}/run.json"
    lakeio.write_json(store, run_key, run_doc)
    keys.append(run_key)
    return JobReport(version, as_of, len(frame), behaviour_users, results, affinity, keys)
