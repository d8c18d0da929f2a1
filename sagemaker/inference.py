"""Inference handlers for both models, for the SageMaker scikit-learn container and the local backend.

The container imports this file (the model's ``SAGEMAKER_PROGRAM``) and calls, per request,
``model_fn(model_dir)`` once, then ``input_fn(body, content_type)``, ``predict_fn(data, model)`` and
``output_fn(prediction, accept)``. Locally, ``audience.models.adapters.local.predictor`` calls the very same
functions in-process.

Requests: a batch of rows, as JSON (``{"instances": [{...}, ...]}``, a list of objects, or one object)
or CSV with a header row. Each row carries every feature of ``features.json`` (and may carry the id
columns ``user_id``, ``content_id``, echoed back); a row with a missing, extra or mistyped feature
rejects the request with a 400 naming each row, field and reason. Responses are JSON:
``{"model": ..., "model_version": ..., "feature_set_version": ..., "predictions": [...]}``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import modelkit

JSON = "application/json"
CSV = "text/csv"
RISK_BANDS = ((0.6, "high"), (0.3, "medium"), (0.0, "low"))
"""``churn_probability`` at or above each threshold gets the band (checked from the top)."""
MAX_ROWS = 10_000


def _error_bases() -> tuple[type[Exception], ...]:
    """The containers' client-error classes when present, so a bad request maps to a 4xx there too."""
    bases: list[type[Exception]] = []
    try:  # sagemaker-inference toolkit: GenericInferenceToolkitError(status_code, message)
        from sagemaker_inference.errors import GenericInferenceToolkitError

        bases.append(GenericInferenceToolkitError)
    except ImportError:
        pass
    try:  # sagemaker-containers (older scikit-learn images): ClientError -> 400
        from sagemaker_containers._errors import ClientError

        bases.append(ClientError)
    except ImportError:
        pass
    return tuple(bases) or (ValueError,)


class RequestError(*_error_bases()):  # type: ignore[misc]
    """A request the model cannot answer: ``status`` (400 or 415) and per-row ``errors``."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None, status: int = 400) -> None:
        self.status = self.status_code = status
        self.errors = errors or []
        self.message = message
        body = json.dumps({"error": message, "errors": self.errors[:100]})
        try:
            super().__init__(status, body)
        except TypeError:
            super().__init__(body)
        self.args = (body,)

    def __str__(self) -> str:
        return self.args[0]

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.message, "errors": self.errors}


class Bundle:
    """A loaded model with its contract."""

    def __init__(self, model: Any, contract: dict[str, Any], metrics: dict[str, Any], version: str) -> None:
        self.model = model
        self.contract = contract
        self.metrics = metrics
        self.version = version
        self.kind = str(contract["model"])
        self.features = [(f["name"], f["dtype"]) for f in contract["features"]]


def model_fn(model_dir: str) -> Bundle:
    """Load model.joblib after checking features.json's scikit-learn version against this process's."""
    import joblib

    root = Path(model_dir)
    contract = json.loads((root / modelkit.FEATURES_FILE).read_text())
    modelkit.check_version(str(contract["sklearn_version"]))
    metrics_path = root / modelkit.METRICS_FILE
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    version = str(metrics.get("model_version") or root.name)
    return Bundle(joblib.load(root / modelkit.MODEL_FILE), contract, metrics, version)


def _rows_from_json(body: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(body)
    except json.JSONDecodeError as error:
        raise RequestError(f"malformed JSON: {error.msg} at position {error.pos}") from None
    if isinstance(value, dict) and "instances" in value:
        value = value["instances"]
    elif isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise RequestError(
            'expected {"instances": [{feature: value, ...}, ...]}, a list of objects, or one object'
        )
    return value


def _rows_from_csv(body: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(body))
    lines = [line for line in reader if line]
    if not lines:
        raise RequestError("empty CSV: a header row of feature names and one row per instance are needed")
    header = [name.strip() for name in lines[0]]
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(lines[1:]):
        if len(line) != len(header):
            raise RequestError(
                "CSV row has the wrong number of values",
                [
                    {
                        "row": number,
                        "field": None,
                        "code": "shape",
                        "message": f"{len(line)} values for {len(header)} columns",
                    }
                ],
            )
        rows.append(
            {
                name: (None if value.strip() == "" else value.strip())
                for name, value in zip(header, line, strict=True)
            }
        )
    return rows


def input_fn(request_body: str | bytes, request_content_type: str = JSON) -> list[dict[str, Any]]:
    """Parse a JSON or CSV body into rows (dicts); the checks against the contract run in predict_fn,
    where the model (and so its feature list) is known."""
    body = request_body.decode("utf-8") if isinstance(request_body, (bytes, bytearray)) else request_body
    kind = (request_content_type or JSON).split(";")[0].strip().lower()
    if kind == JSON:
        rows = _rows_from_json(body)
    elif kind == CSV:
        rows = _rows_from_csv(body)
    else:
        raise RequestError(
            f"unsupported content type {request_content_type!r}: send {JSON} or {CSV}", status=415
        )
    if not rows:
        raise RequestError("no instances in the request")
    if len(rows) > MAX_ROWS:
        raise RequestError(f"{len(rows)} instances: at most {MAX_ROWS} per request")
    return rows


def _number(value: Any, dtype: str) -> tuple[float | None, str | None]:
    """The value as a float, or the reason it is not a valid ``dtype`` feature value."""
    if value is None:
        return (
            (float("nan"), None)
            if dtype == "float64"
            else (None, "null is not allowed for an integer feature")
        )
    if isinstance(value, bool):
        return None, "a boolean is not a number"
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None, f"{value[:40]!r} is not a number"
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        return None, f"a {type(value).__name__} is not a number"
    if math.isinf(number) or (math.isnan(number) and dtype != "float64"):
        return None, "not a finite number"
    if dtype == "int64" and not math.isnan(number) and number != int(number):
        return None, f"{value!r} is not an integer"
    return number, None


def validate(rows: list[dict[str, Any]], features: list[tuple[str, str]]) -> list[list[float]]:
    """The rows as feature vectors in the contract's order, or a RequestError listing every problem."""
    allowed = {name for name, _ in features} | set(modelkit.ID_COLUMNS)
    errors: list[dict[str, Any]] = []
    matrix: list[list[float]] = []
    for index, row in enumerate(rows):
        vector: list[float] = []
        for name, dtype in features:
            if name not in row:
                errors.append(
                    {"row": index, "field": name, "code": "missing", "message": f"feature {name} is missing"}
                )
                continue
            number, problem = _number(row[name], dtype)
            if problem is not None:
                errors.append(
                    {"row": index, "field": name, "code": "type", "message": f"expected {dtype}: {problem}"}
                )
            else:
                vector.append(float(number))  # type: ignore[arg-type]
        for name in row:
            if name not in allowed:
                errors.append(
                    {
                        "row": index,
                        "field": name,
                        "code": "extra",
                        "message": f"{name} is not a feature of this model",
                    }
                )
        matrix.append(vector)
    if errors:
        raise RequestError(
            f"{len({e['row'] for e in errors})} of {len(rows)} rows do not match the model's features", errors
        )
    return matrix


def risk_band(probability: float) -> str:
    for threshold, band in RISK_BANDS:
        if probability >= threshold:
            return band
    return "low"


def predict_fn(input_data: list[dict[str, Any]], model: Bundle) -> dict[str, Any]:
    import numpy as np

    matrix = np.asarray(validate(input_data, model.features), dtype="float64")
    ids = [{k: row[k] for k in ("user_id", "content_id") if k in row} for row in input_data]
    if model.kind == "churn":
        proba = model.model.predict_proba(matrix)[:, 1]
        predictions = [
            {**key, "churn_probability": round(float(p), 6), "risk_band": risk_band(float(p))}
            for key, p in zip(ids, proba, strict=True)
        ]
    else:
        values = model.model.predict(matrix)
        predictions = [
            {**key, "predicted_engagement": round(float(v), 6)} for key, v in zip(ids, values, strict=True)
        ]
    return {
        "model": model.kind,
        "model_version": model.version,
        "feature_set_version": model.contract["feature_set_version"],
        "predictions": predictions,
    }


def output_fn(prediction: dict[str, Any], accept: str = JSON) -> tuple[str, str]:
    """The JSON body and its content type (both containers turn a ``(body, type)`` tuple into the response)."""
    kind = (accept or JSON).split(";")[0].strip().lower()
    if kind not in (JSON, "*/*"):
        raise RequestError(f"unsupported accept type {accept!r}: this model answers {JSON}", status=406)
    return json.dumps(prediction), JSON
