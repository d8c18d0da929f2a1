"""The inference handlers: JSON and CSV in, JSON out, and bad requests rejected with per-field reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import inference
import modelkit
import models_testkit as kit
import pytest
import train_churn
import train_engagement


def _trained(root: Path, script: Any, frame: Any) -> Path:
    """A small model trained by the script's own entry point (as SageMaker would run it)."""
    train, holdout = kit.write_channels(root, frame(400, "2026-11-10", 1), frame(200, "2026-11-12", 2))
    args = ["--model-dir", str(root / "model"), "--train", str(train), "--validation", str(holdout)]
    script.train(script.parse_args([*args, "--output-data-dir", str(root / "out"), "--max-iter", "10"]))
    return root / "model"


@pytest.fixture(scope="module")
def churn_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _trained(tmp_path_factory.mktemp("churn"), train_churn, kit.churn_frame)


@pytest.fixture(scope="module")
def engagement_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _trained(tmp_path_factory.mktemp("engagement"), train_engagement, kit.engagement_frame)


def _invoke(model_dir: Path, body: str | bytes, content_type: str) -> dict:
    model = inference.model_fn(str(model_dir))
    text, kind = inference.output_fn(
        inference.predict_fn(inference.input_fn(body, content_type), model), "application/json"
    )
    assert kind == "application/json"
    return json.loads(text)


CHURN_ROW = {
    "user_id": "u-000001",
    "days_since_last_event": 2.5,
    "events": 4,
    "trend_ratio": 0.4,
    "avg_completion_rate": None,
}


def test_handlers_round_trip_json_batches_with_ids_and_bands(churn_dir: Path) -> None:
    # GIVEN two rows in JSON, one with a null float feature
    rows = [
        CHURN_ROW,
        {**CHURN_ROW, "user_id": "u-000002", "days_since_last_event": 0.1, "avg_completion_rate": 0.8},
    ]
    # WHEN they go through the four handlers
    answer = _invoke(churn_dir, json.dumps({"instances": rows}), "application/json")
    # THEN each row gets a probability and a band, in order, with its id and the model's versions
    assert answer["model"] == "churn" and answer["feature_set_version"].startswith("churn-")
    assert [p["user_id"] for p in answer["predictions"]] == ["u-000001", "u-000002"]
    for p in answer["predictions"]:
        assert 0.0 <= p["churn_probability"] <= 1.0
        assert p["risk_band"] == inference.risk_band(p["churn_probability"])


def test_handlers_give_the_same_answer_for_csv_and_json(engagement_dir: Path) -> None:
    # GIVEN the same engagement rows as CSV (with a header) and as JSON
    frame = kit.engagement_frame(5, "2026-11-12", 9)
    features = [f["name"] for f in json.loads((engagement_dir / "features.json").read_text())["features"]]
    subset = frame[["user_id", "content_id", *features]]
    # WHEN both are invoked
    from_csv = _invoke(engagement_dir, subset.to_csv(index=False).encode(), "text/csv; charset=utf-8")
    from_json = _invoke(engagement_dir, subset.to_json(orient="records"), "application/json")
    # THEN the predictions agree and carry the pair ids
    assert from_csv["predictions"] == from_json["predictions"]
    assert len(from_csv["predictions"]) == 5
    assert set(from_csv["predictions"][0]) == {"user_id", "content_id", "predicted_engagement"}


def test_predict_fn_rejects_missing_extra_and_mistyped_features_with_reasons(churn_dir: Path) -> None:
    # GIVEN a batch with a good row, a row missing a feature, a row with an extra field and mistyped values
    model = inference.model_fn(str(churn_dir))
    rows = [
        CHURN_ROW,
        {k: v for k, v in CHURN_ROW.items() if k != "trend_ratio"},
        {**CHURN_ROW, "favourite_colour": "blue"},
        {**CHURN_ROW, "events": 2.5, "days_since_last_event": "soon", "trend_ratio": True},
    ]
    # WHEN it is predicted / THEN a 400 lists each problem by row and field
    with pytest.raises(inference.RequestError) as caught:
        inference.predict_fn(inference.input_fn(json.dumps(rows), "application/json"), model)
    error = caught.value
    assert error.status == 400
    found = {(e["row"], e["field"], e["code"]) for e in error.errors}
    assert found == {
        (1, "trend_ratio", "missing"),
        (2, "favourite_colour", "extra"),
        (3, "events", "type"),
        (3, "days_since_last_event", "type"),
        (3, "trend_ratio", "type"),
    }
    assert "3 of 4 rows" in json.loads(str(error))["error"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "needle"),
    [
        ("{not json", "application/json", 400, "malformed JSON"),
        ('"a string"', "application/json", 400, "expected"),
        ("[]", "application/json", 400, "no instances"),
        ("", "text/csv", 400, "empty CSV"),
        ("events,trend_ratio\n1", "text/csv", 400, "wrong number"),
        ("x", "application/x-npy", 415, "unsupported content type"),
    ],
)
def test_input_fn_rejects_malformed_bodies(body: str, content_type: str, status: int, needle: str) -> None:
    # GIVEN a malformed body / WHEN it is parsed / THEN a 4xx says why
    with pytest.raises(inference.RequestError) as caught:
        inference.input_fn(body, content_type)
    assert caught.value.status == status and needle in caught.value.message


def test_output_fn_refuses_an_accept_type_it_cannot_produce() -> None:
    # GIVEN / WHEN / THEN a CSV accept type is refused with 406
    with pytest.raises(inference.RequestError) as caught:
        inference.output_fn({"predictions": []}, "text/csv")
    assert caught.value.status == 406


def test_model_fn_refuses_an_artifact_from_another_sklearn_minor(churn_dir: Path, tmp_path: Path) -> None:
    # GIVEN a copy of the model whose features.json records another scikit-learn version
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(churn_dir, copy)
    contract = json.loads((copy / "features.json").read_text())
    contract["sklearn_version"] = "0.24.2"  # a version no supported environment runs
    (copy / "features.json").write_text(json.dumps(contract))
    # WHEN / THEN loading it fails with a clear message
    with pytest.raises(modelkit.VersionMismatchError, match=r"fitted with scikit-learn 0\.24\.2"):
        inference.model_fn(str(copy))
