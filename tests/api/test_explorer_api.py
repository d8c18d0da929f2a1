from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from explorer_testkit import prepare_home
from flask import Flask
from flask.testing import FlaskClient
from servers import Server, free_port

from audience.core.settings import Settings
from audience.web import register


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explorer-home")
    prepare_home(path)
    return path


@pytest.fixture
def client(home: Path) -> Iterator[FlaskClient]:
    app = Flask("test")
    register(app, Settings(home=home, backend="local"))
    yield app.test_client()


def _segments(client: FlaskClient) -> list[dict[str, Any]]:
    body = client.get("/api/explorer/segments").get_json()
    return [s for s in body["segments"] if not s["is_noise"]]


def test_explorer_api_lists_segments_with_map_positions_and_affinity(client: FlaskClient) -> None:
    # GIVEN a lake with a segmentation run
    # WHEN the overview is fetched
    response = client.get("/api/explorer/segments")
    # THEN it lists k-means' six segments, sizes summing to the audience, with positions and affinity
    body = response.get_json()
    assert response.status_code == 200
    assert body["method"] == "kmeans" and set(body["methods"]) == {"kmeans", "hdbscan"}
    assert len(body["segments"]) == 6
    assert sum(s["size"] for s in body["segments"]) == body["users"] == 1500
    assert all({"x", "y", "name", "segment_id", "share"} <= s.keys() for s in body["segments"])
    assert {a["channel"] for a in body["affinity"]} == {"social_media", "streaming_video", "podcasts"}
    assert body["adjusted_rand_index"] > 0.85
    # AND model-dependent numbers say "not available" (no predictions tables yet)
    assert body["predictions"] == {"churn": "not available", "engagement": "not available"}
    assert all(s["churn_risk"] is None for s in body["segments"])


def test_explorer_api_segment_detail_has_profile_lift_and_affinity(client: FlaskClient) -> None:
    # GIVEN a segment id
    sid = _segments(client)[0]["segment_id"]
    # WHEN its detail is fetched
    body = client.get(f"/api/explorer/segments/{sid}?top=5").get_json()
    # THEN it has 5 defining attributes and rows with segment, population and lift
    assert len(body["defining"]) == 5
    row = body["profile"][0]
    assert row["lift"] == pytest.approx(row["segment_value"] / row["population_value"])
    assert {a["channel"] for a in body["affinity"]} == {"social_media", "streaming_video", "podcasts"}


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/api/explorer/segments?method=spectral", 400, "method must be one of"),
        ("/api/explorer/segments/km-nope", 404, "no segment"),
        ("/api/explorer/segments/{sid}?top=abc", 400, "top must be a whole number"),
        ("/api/explorer/segments/{sid}?top=0", 400, "top must be between 1 and 50"),
        ("/api/explorer/compare?a={sid}", 400, "needs both a and b"),
        ("/api/explorer/compare?a={sid}&b={sid}", 400, "two different segments"),
    ],
)
def test_explorer_api_bad_parameters_get_a_reason(
    client: FlaskClient, path: str, status: int, reason: str
) -> None:
    # GIVEN a bad parameter
    sid = _segments(client)[0]["segment_id"]
    # WHEN requested
    response = client.get(path.format(sid=sid))
    # THEN the status and the reason say what is wrong
    assert response.status_code == status
    assert reason in response.get_json()["message"]


def test_explorer_api_compare_orders_attributes_by_gap(client: FlaskClient) -> None:
    # GIVEN two segments
    a, b = (s["segment_id"] for s in _segments(client)[:2])
    # WHEN compared
    body = client.get(f"/api/explorer/compare?a={a}&b={b}").get_json()
    # THEN attributes come biggest difference first
    gaps = [r["gap"] for r in body["attributes"]]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] > 0.5


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"seed": {"segment_id": "{sid}"}, "size": 0}, "size must be between 1"),
        ({"seed": {"segment_id": "{sid}"}, "size": "many"}, "size must be a whole number"),
        ({"seed": {"user_ids": ["u-000001", "u-000002"]}, "size": 10}, "at least 20 are needed"),
        ({"seed": {"user_ids": "u-000001"}, "size": 10}, "must be a list of user id strings"),
        ({"seed": [], "size": 10}, "seed must be an object"),
    ],
)
def test_explorer_api_lookalike_bad_requests_are_400(
    client: FlaskClient, body: dict[str, Any], reason: str
) -> None:
    # GIVEN a bad lookalike request
    sid = _segments(client)[0]["segment_id"]
    if isinstance(body["seed"], dict) and body["seed"].get("segment_id"):
        body = {**body, "seed": {"segment_id": sid}}
    # WHEN posted
    response = client.post("/api/explorer/lookalikes", json=body)
    # THEN 400 with the reason
    assert response.status_code == 400
    assert reason in response.get_json()["message"]


def test_explorer_api_lookalike_reports_unknown_ids_and_quality(client: FlaskClient) -> None:
    # GIVEN a seed list of 60 known ids plus two unknown ones
    ids = [f"u-{i:06d}" for i in range(1, 61)] + ["u-999999", "nobody"]
    # WHEN a lookalike of 100 is asked for
    response = client.post("/api/explorer/lookalikes", json={"seed": {"user_ids": ids}, "size": 100})
    # THEN the unknown ids are reported and the quality has recall against random
    body = response.get_json()
    assert response.status_code == 200
    assert body["seed"]["unknown_user_ids"] == ["u-999999", "nobody"]
    assert body["size"] == 100
    assert body["quality"]["random_recall"] == pytest.approx(100 / body["quality"]["pool"], abs=1e-4)


def test_explorer_api_export_writes_manifest_and_downloads_csv(client: FlaskClient, home: Path) -> None:
    # GIVEN a segment
    seg = _segments(client)[1]
    # WHEN it is exported and the CSV downloaded
    created = client.post("/api/explorer/exports", json={"segment_id": seg["segment_id"]})
    manifest = created.get_json()
    download = client.get(manifest["download"])
    # THEN the manifest describes it and the CSV holds exactly its members
    assert created.status_code == 201
    assert manifest["size"] == seg["size"]
    assert manifest["definition"]["segment_id"] == seg["segment_id"]
    assert manifest["model_version"].startswith("segments-")
    assert (home / "exports" / manifest["files"]["csv"]).exists()
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == seg["size"]


def test_explorer_api_export_of_a_lookalike_and_bad_export_names(client: FlaskClient) -> None:
    # GIVEN a lookalike definition
    sid = _segments(client)[0]["segment_id"]
    # WHEN exported
    created = client.post(
        "/api/explorer/exports", json={"lookalike": {"seed": {"segment_id": sid}, "size": 50}}
    ).get_json()
    # THEN it has 50 members and the holdout quality in its definition
    assert created["size"] == 50 and created["definition"]["kind"] == "lookalike"
    assert "recall_at_size" in created["definition"]["quality"]
    # AND names that are not an export's are refused
    assert client.get("/api/explorer/exports/..%2Fapi_key").status_code == 404
    assert client.get("/api/explorer/exports/nothing.csv").status_code == 404
    assert client.post("/api/explorer/exports", json={}).status_code == 400
    assert client.post("/api/explorer/exports", data="x", content_type="text/plain").status_code == 415


def test_explorer_api_without_a_run_is_503(tmp_path: Path) -> None:
    # GIVEN an empty lake
    app = Flask("empty")
    register(app, Settings(home=tmp_path, backend="local"))
    # WHEN the overview is fetched  THEN 503 says how to run the job
    response = app.test_client().get("/api/explorer/segments")
    assert response.status_code == 503
    assert "make demo" in response.get_json()["message"]


@pytest.mark.slow
def test_explorer_api_over_real_http(home: Path) -> None:
    # GIVEN the local server on a prepared home
    server = Server(home=home, port=free_port())
    server.start()
    try:
        # WHEN the page and the API are fetched over HTTP (no API key: the Explorer is read-only locally)
        page = httpx.get(f"{server.url}/explorer", timeout=10)
        overview = httpx.get(f"{server.url}/api/explorer/segments", timeout=30)
        bad = httpx.get(f"{server.url}/api/explorer/segments?method=x", timeout=10)
    finally:
        server.stop()
    # THEN the page loads D3 from the local server, and the API answers
    assert page.status_code == 200 and "/static/vendor/d3.min.js" in page.text
    assert overview.status_code == 200 and len(overview.json()["segments"]) == 6
    assert bad.status_code == 400


def test_explorer_api_shows_churn_risk_and_predicted_engagement_when_the_models_have_run(
    tmp_path: Path,
) -> None:
    # GIVEN a segmentation and the models' prediction tables of the agreed shape
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    report = prepare_home(tmp_path, n_users=600)
    result = report.results["kmeans"]
    ids = result.ids_per_user()
    users = [f"u-{i + 1:06d}" for i in range(600)]
    first = result.segments[0].segment_id
    # members of the first segment are high risk (0.9), everyone else low (0.1)
    probability = [0.9 if sid == first else 0.1 for sid in ids]
    now = datetime(2026, 11, 20, 6, tzinfo=UTC)
    churn = pa.table(
        {
            "user_id": users,
            "churn_probability": probability,
            "risk_band": ["high" if p > 0.5 else "low" for p in probability],
            "model_version": ["churn-v1"] * 600,
            "scored_at": [now] * 600,
        }
    )
    engagement = pa.table(
        {
            "user_id": users * 2,
            "content_id": ["c-000001"] * 600 + ["c-000002"] * 600,
            "predicted_engagement": [1.0] * 600 + [3.0] * 600,
            "model_version": ["eng-v7"] * 1200,
            "scored_at": [now] * 1200,
        }
    )
    for table, data in (("churn_scores", churn), ("engagement_scores", engagement)):
        folder = tmp_path / "lake" / "predictions" / table / "as_of=2026-11-20"
        folder.mkdir(parents=True)
        pq.write_table(data, folder / "part-0.parquet")
    app = Flask("with-models")
    register(app, Settings(home=tmp_path, backend="local"))
    # WHEN the overview is fetched
    body = app.test_client().get("/api/explorer/segments").get_json()
    # THEN each segment carries its churn risk and mean predicted engagement, with the models' versions
    assert body["predictions"] == {"churn": "churn-v1", "engagement": "eng-v7"}
    by_id = {s["segment_id"]: s for s in body["segments"]}
    assert by_id[first]["churn_risk"] == {
        "mean_probability": 0.9,
        "high_risk_share": 1.0,
        "scored_users": by_id[first]["size"],
    }
    other = next(s for s in body["segments"] if s["segment_id"] != first)
    assert other["churn_risk"]["mean_probability"] == 0.1 and other["churn_risk"]["high_risk_share"] == 0.0
    assert other["predicted_engagement"] == {"mean": 2.0, "scored_users": other["size"]}
