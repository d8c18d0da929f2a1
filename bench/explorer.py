"""Explorer benchmarks: segmentation at 100,000 and 1,000,000 users, and the segment-detail API's p95.

Audiences of any size are drawn from the 5,000 generated profiles in ``data/`` (bootstrap rows, each
number jittered by a lognormal factor, sigma 0.1), so every size has the same six planted segments.

* Segmentation, ours: encode (ColumnTransformer + PCA fitted on up to 200,000 users, everyone
  transformed in chunks), k-means with k=6 fitted on a 100,000-user sample and predicting everyone,
  then profiles, names and map positions for the segments. Baseline in the same run: k-means fitted
  on *all* users (same k, same initialisations) on the same embedding; agreement between the two
  labellings is reported as an adjusted Rand index, and both against the planted segments.
* The silhouette search over k=3..10 (on a 3,000-user sample) and HDBSCAN (6,000-user sample, the
  rest by nearest neighbours) are timed separately.
* Segment-detail API: the Flask app in-process (test client) over a segmentation of the 5,000 users;
  500 requests across the segments; p50 and p95 against ``/health`` of the same app.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _base_frame() -> Any:
    import csv

    from audience.explorer.frame import from_profiles
    from audience.explorer.profiles import RICH_FILE, load_rich_csv

    with (ROOT / "data" / "users.csv").open() as handle:
        planted = {row["user_id"]: row["planted_segment"] for row in csv.DictReader(handle)}
    return from_profiles(load_rich_csv(ROOT / "data" / RICH_FILE), date(2026, 11, 22), planted)


def resample(base: Any, n: int, seed: int = 11) -> Any:
    from audience.explorer.frame import AudienceFrame

    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(base), size=n)
    frame: AudienceFrame = base.take(rows)
    frame.user_ids = np.array([f"b-{i:08d}" for i in range(n)], dtype=np.str_)
    for name, values in frame.numeric.items():
        frame.numeric[name] = values * np.exp(rng.normal(0.0, 0.1, size=n))
    return frame


def segmentation(sizes: Sequence[int], progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from audience.explorer.segmentation import build_segments, choose_k, encode, hdbscan_labels, kmeans_labels

    base = _base_frame()
    out: dict[str, Any] = {}
    for n in sizes:
        frame = resample(base, n)
        progress(f"segmentation: {n:,} users")
        started = time.perf_counter()
        encoded = encode(frame)
        t_encode = time.perf_counter() - started
        started = time.perf_counter()
        labels = kmeans_labels(encoded.embedding, 6)
        t_kmeans = time.perf_counter() - started
        started = time.perf_counter()
        result = build_segments(frame, encoded, labels, "kmeans")
        t_profiles = time.perf_counter() - started
        started = time.perf_counter()
        full = KMeans(n_clusters=6, random_state=7, n_init=4).fit_predict(encoded.embedding)
        t_full = time.perf_counter() - started
        started = time.perf_counter()
        k, _ = choose_k(encoded.embedding, range(3, 11))
        t_choose = time.perf_counter() - started
        started = time.perf_counter()
        hdbscan_labels(encoded.embedding)
        t_hdb = time.perf_counter() - started
        ours = t_encode + t_kmeans + t_profiles
        out[str(n)] = {
            "users": n,
            "encode_s": round(t_encode, 2),
            "kmeans_sample_fit_predict_s": round(t_kmeans, 2),
            "profiles_s": round(t_profiles, 2),
            "ours_total_s": round(ours, 2),
            "baseline_kmeans_full_fit_s": round(t_full, 2),
            "kmeans_speedup_vs_full_fit": round(t_full / t_kmeans, 1) if t_kmeans else None,
            "agreement_ari_sample_vs_full": round(float(adjusted_rand_score(full, labels)), 4),
            "ari_vs_planted": round(float(result.ari or 0.0), 4),
            "ari_full_fit_vs_planted": round(float(adjusted_rand_score(frame.planted, full)), 4),
            "choose_k_s": round(t_choose, 2),
            "chosen_k": k,
            "hdbscan_s": round(t_hdb, 2),
            "users_per_s": round(n / ours),
        }
    return out


def api_latency(requests: int = 500, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    from flask import Flask

    from audience.core.objectstore.adapters.local import FolderObjectStore
    from audience.core.settings import Settings
    from audience.explorer.job import JobConfig, run
    from audience.explorer.profiles import RICH_FILE
    from audience.web import register

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        progress("segment-detail API: segmenting the 5,000 generated users")
        run(
            JobConfig(profiles_csv=ROOT / "data" / RICH_FILE, users_csv=ROOT / "data" / "users.csv", k=6),
            FolderObjectStore(home / "lake"),
        )
        app = Flask("bench")
        register(app, Settings(home=home, backend="local"))

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        client = app.test_client()
        ids = [s["segment_id"] for s in client.get("/api/explorer/segments").get_json()["segments"]]

        def sample(path_for: Callable[[int], str]) -> list[float]:
            times = []
            for i in range(requests):
                started = time.perf_counter()
                response = client.get(path_for(i))
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            return times

        sample(lambda i: f"/api/explorer/segments/{ids[i % len(ids)]}")  # warm-up
        detail = sample(lambda i: f"/api/explorer/segments/{ids[i % len(ids)]}")
        floor = sample(lambda i: "/health")
        started = time.perf_counter()
        client.post("/api/explorer/lookalikes", json={"seed": {"segment_id": ids[0]}, "size": 1000})
        t_look = time.perf_counter() - started

    def p(values: list[float], q: int) -> float:
        return float(statistics.quantiles(values, n=100)[q - 1])

    return {
        "requests": requests,
        "detail_p50_ms": round(p(detail, 50), 2),
        "detail_p95_ms": round(p(detail, 95), 2),
        "health_p50_ms": round(p(floor, 50), 3),
        "health_p95_ms": round(p(floor, 95), 3),
        "p95_vs_health": round(p(detail, 95) / p(floor, 95), 1),
        "lookalike_5000_users_ms": round(t_look * 1000, 1),
    }
