"""What the Explorer's API answers, from the segmentation job's latest run in the lake.

Loaded once per run (the run document's ``model_version`` is the cache key) and kept in memory:
every answer is then a dictionary lookup or a small numpy computation, which is what keeps the
segment-detail p95 in milliseconds (``bench/explorer.py``). Errors a caller can fix raise
:class:`RequestError` (the blueprint turns it into a 400 with the reason).
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from audience.core.audience_files import AudienceManifest, safe_name, write_export
from audience.core.objectstore.ports import ObjectStore
from audience.explorer import lakeio
from audience.explorer.kinds import METHODS
from audience.explorer.lookalike import SeedError, build
from audience.explorer.snapshot import Snapshot, load_snapshot

MAX_SEED_IDS: Final = 100_000
EXPORTS_PREFIX: Final = "exports"


class RequestError(ValueError):
    """A bad parameter: the message says which and why (HTTP 400)."""


class NotFoundError(LookupError):
    """No such segment or export (HTTP 404)."""


class NoRunError(LookupError):
    """The segmentation job has not run yet (HTTP 503 with how to run it)."""


def _distinctiveness(row: dict[str, Any]) -> float:
    lift = row.get("lift")
    if not lift or lift <= 0:
        return 0.0
    weight = 1.0 if row["kind"] == "mean" else math.sqrt(max(row["segment_value"], row["population_value"]))
    return abs(math.log(lift)) * weight


class ExplorerService:
    def __init__(self, store: ObjectStore, exports: ObjectStore, refresh_seconds: float = 30.0) -> None:
        self.store = store
        self.exports = exports
        """Where exports go, under ``exports/``: ``$AUDIENCE_HOME`` locally, the lake bucket in AWS
        (a download may reach another Lambda instance than the export did)."""
        self.refresh_seconds = refresh_seconds
        self._snap: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        with self._lock:
            now = time.monotonic()
            if self._snap is None or now - self._checked > self.refresh_seconds:
                as_of = lakeio.latest_as_of(self.store, lakeio.RUNS)
                current = self._snap.run["as_of"] if self._snap else None
                run = lakeio.read_json(self.store, f"{lakeio.RUNS}/as_of={as_of}/run.json") if as_of else None
                if (
                    self._snap is None
                    or as_of != current
                    or (run and run["model_version"] != self._snap.run["model_version"])
                ):
                    self._snap = load_snapshot(self.store) or self._snap
                self._checked = now
            if self._snap is None:
                raise NoRunError(
                    "no segmentation run in the lake yet: run `make demo`, or `make explorer-segments` after `make features`"
                )
            return self._snap

    @staticmethod
    def _method(snap: Snapshot, method: str | None) -> str:
        method = method or "kmeans"
        if method not in METHODS:
            raise RequestError(f"method must be one of {', '.join(METHODS)} (got {method!r:.40})")
        if method not in snap.segments:
            raise RequestError(f"method {method!r:.40} was not run in this segmentation")
        return method

    def _segment(self, snap: Snapshot, method: str, segment_id: str) -> dict[str, Any]:
        found = snap.segments[method].get(segment_id)
        if found is None:
            raise NotFoundError(f"no segment {segment_id!r:.40} for method {method}")
        return found

    def overview(self, method: str | None) -> dict[str, Any]:
        snap = self.snapshot()
        method = self._method(snap, method)
        info = snap.run["methods"][method]
        return {
            "model_version": snap.run["model_version"],
            "as_of": snap.run["as_of"],
            "created_at": snap.run["created_at"],
            "users": snap.run["users"],
            "behaviour_users": snap.run["behaviour_users"],
            "method": method,
            "methods": list(snap.segments),
            "params": info["params"],
            "adjusted_rand_index": info["adjusted_rand_index"],
            "channels": snap.run["channels"],
            "predictions": {
                "churn": snap.predictions.get("churn", "not available"),
                "engagement": snap.predictions.get("engagement", "not available"),
            },
            "segments": list(snap.segments[method].values()),
            "affinity": [
                {"segment_id": sid, **row}
                for sid in snap.segments[method]
                for row in snap.affinity.get((method, sid), [])
            ],
            "min_users": snap.run.get("min_users"),
        }

    def detail(self, method: str | None, segment_id: str, top: int = 8) -> dict[str, Any]:
        snap = self.snapshot()
        method = self._method(snap, method)
        summary = self._segment(snap, method, segment_id)
        rows = sorted(snap.profiles.get((method, segment_id), []), key=_distinctiveness, reverse=True)
        defining = [r for r in rows if r["kind"] == "mean" or r["segment_value"] >= 0.1][:top]
        return {
            "method": method,
            "segment": summary,
            "defining": defining,
            "profile": rows,
            "affinity": snap.affinity.get((method, segment_id), []),
        }

    def compare(self, method: str | None, a: str, b: str) -> dict[str, Any]:
        snap = self.snapshot()
        method = self._method(snap, method)
        if a == b:
            raise RequestError("compare needs two different segments")
        sa, sb = self._segment(snap, method, a), self._segment(snap, method, b)
        pa_rows = {(r["attribute"], r["level"]): r for r in snap.profiles.get((method, a), [])}
        pb_rows = {(r["attribute"], r["level"]): r for r in snap.profiles.get((method, b), [])}
        rows = []
        for key in pa_rows.keys() & pb_rows.keys():
            ra, rb = pa_rows[key], pb_rows[key]
            la, lb = ra["lift"] or 0.0, rb["lift"] or 0.0
            gap = abs(math.log(la / lb)) if la > 0 and lb > 0 else 0.0
            rows.append(
                {
                    "attribute": key[0],
                    "level": key[1],
                    "kind": ra["kind"],
                    "a_value": ra["segment_value"],
                    "b_value": rb["segment_value"],
                    "population_value": ra["population_value"],
                    "a_lift": ra["lift"],
                    "b_lift": rb["lift"],
                    "gap": gap,
                }
            )
        rows.sort(key=lambda r: (-r["gap"], r["attribute"], r["level"]))
        return {"method": method, "a": sa, "b": sb, "attributes": rows}

    def _seed(
        self, snap: Snapshot, method: str, seed: dict[str, Any]
    ) -> tuple[npt.NDArray[np.bool_], dict[str, Any]]:
        if not isinstance(seed, dict):
            raise RequestError("seed must be an object with segment_id or user_ids")
        if "segment_id" in seed and "user_ids" not in seed:
            sid = str(seed["segment_id"])
            self._segment(snap, method, sid)
            return snap.labels[method] == sid, {"seed_segment_id": sid}
        ids = seed.get("user_ids")
        if not isinstance(ids, list) or not all(isinstance(u, str) for u in ids):
            raise RequestError("seed.user_ids must be a list of user id strings (or give seed.segment_id)")
        if len(ids) > MAX_SEED_IDS:
            raise RequestError(f"seed.user_ids has {len(ids)} ids; at most {MAX_SEED_IDS} are accepted")
        unique = list(dict.fromkeys(u.strip() for u in ids if u.strip()))
        unknown = [u for u in unique if u not in snap.position]
        mask = np.zeros(len(snap.user_ids), dtype=bool)
        mask[[snap.position[u] for u in unique if u in snap.position]] = True
        return mask, {
            "seed_user_ids": len(unique),
            "unknown_user_ids": unknown[:100],
            "unknown_count": len(unknown),
        }

    @staticmethod
    def _size(value: object, pool: int) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise RequestError("size must be a whole number")
        try:
            size = int(value)
        except ValueError:
            raise RequestError(f"size must be a whole number (got {value!r:.40})") from None
        if size < 1 or size > pool:
            raise RequestError(f"size must be between 1 and {pool} (users outside the seed)")
        return size

    def lookalike(
        self, method: str | None, seed: dict[str, Any], size: object, preview: int = 20
    ) -> dict[str, Any]:
        snap = self.snapshot()
        method = self._method(snap, method)
        mask, info = self._seed(snap, method, seed)
        size_n = self._size(size, max(1, int((~mask).sum())))
        try:
            result = build(snap.embedding, mask, size_n)
        except SeedError as exc:
            raise RequestError(str(exc)) from None
        members = snap.user_ids[result.members]
        q = result.quality
        return {
            "method": method,
            "seed": {**info, "known_users": int(mask.sum())},
            "size": len(members),
            "quality": {
                "holdout_users": q.holdout,
                "pool": q.pool,
                "recall_at_size": round(q.recall, 4),
                "random_recall": round(q.random_recall, 4),
                "precision_at_size": round(q.precision, 4),
                "random_precision": round(q.random_precision, 4),
                "lift_vs_random": None if q.lift is None else round(q.lift, 3),
                "found": q.found,
            },
            "preview": [
                {"user_id": str(u), "score": round(float(s), 4)}
                for u, s in zip(members[:preview], result.scores[:preview], strict=True)
            ],
            "_members": members.tolist(),
        }

    def export(self, body: dict[str, Any]) -> AudienceManifest:
        """Write the segment or lookalike as CSV + JSON + manifest under the exports folder."""
        snap = self.snapshot()
        method = self._method(snap, body.get("method"))
        version = snap.run["model_version"]
        if "lookalike" in body:
            spec = body["lookalike"]
            if not isinstance(spec, dict):
                raise RequestError("lookalike must be an object with seed and size")
            result = self.lookalike(method, spec.get("seed", {}), spec.get("size"))
            ids: Sequence[str] = result["_members"]
            definition = {
                "kind": "lookalike",
                "method": method,
                "seed": result["seed"],
                "size": result["size"],
                "quality": result["quality"],
            }
            label = result["seed"].get("seed_segment_id") or f"{result['seed']['seed_user_ids']}-ids"
            name = f"lookalike-{label}-{result['size']}-{version}"
        elif "segment_id" in body:
            sid = str(body["segment_id"])
            summary = self._segment(snap, method, sid)
            ids = snap.user_ids[snap.labels[method] == sid].tolist()
            definition = {
                "kind": "segment",
                "method": method,
                "segment_id": sid,
                "segment_name": summary["name"],
            }
            name = f"segment-{sid}-{version}"
        else:
            raise RequestError("give segment_id, or lookalike: {seed, size}")
        rows = [{"user_id": u} for u in ids]
        with tempfile.TemporaryDirectory() as tmp:
            manifest = write_export(
                Path(tmp),
                name=name,
                definition=definition,
                rows=rows,
                source="explorer",
                model_version=version,
            )
            # Data files first, manifest last: a reader that sees the manifest finds both files.
            for file in sorted(Path(tmp).iterdir(), key=lambda p: p.name.endswith(".manifest.json")):
                kind = "application/json" if file.suffix == ".json" else "text/csv"
                self.exports.put_object(f"{EXPORTS_PREFIX}/{file.name}", file.read_bytes(), kind)
        return manifest

    def export_file(self, name: str) -> bytes:
        """An exported file's bytes (``name`` as the manifest lists it)."""
        if safe_name(name) != name or not name.endswith((".csv", ".json")):
            raise NotFoundError(f"no export {name!r:.40}")
        try:
            return self.exports.get_object(f"{EXPORTS_PREFIX}/{name}")
        except FileNotFoundError:
            raise NotFoundError(f"no export {name!r:.40}") from None
