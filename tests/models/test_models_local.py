"""The local path: training as a process with SageMaker's contract, the gate moving `current`, in-process
serving through the same handlers, and scores written to the agreed lake tables."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import models_testkit as kit
import pyarrow.parquet as pq
import pytest

from audience.models.adapters.local import training as runner
from audience.models.adapters.local.predictor import InProcessPredictor
from audience.models.ports import ModelUnavailableError, PredictionRejectedError
from audience.models.registry import LocalRegistry
from schemas.lake_tables import ChurnScores

DAY = date(2026, 11, 22)


def _scoring_rows(lake: Path, model: str, frame) -> None:
    folder = lake / "scoring-sets" / model / f"as_of={DAY}"
    folder.mkdir(parents=True)
    frame.drop(columns=["target"]).to_csv(folder / "part-00000.csv", index=False)


def test_train_promote_serve_and_score_churn_locally(tmp_path: Path) -> None:
    # GIVEN churn channels, a scoring set for a day and an empty registry
    training, validation = kit.write_channels(
        tmp_path / "sets", kit.churn_frame(800, "2026-11-18", 1), kit.churn_frame(400, "2026-11-20", 2)
    )
    lake, registry = tmp_path / "lake", LocalRegistry(tmp_path / "models")
    _scoring_rows(lake, "churn", kit.churn_frame(30, str(DAY), 3))
    predictor = InProcessPredictor(registry)
    with pytest.raises(ModelUnavailableError):
        predictor.predict("churn", [{}])

    # WHEN the model trains as a process and the gate lets it in
    run = runner.train("churn", training, validation, registry, {"max-iter": "20"})

    # THEN `current` names it, the gate's decision is kept beside it
    assert run.decision.promote and registry.current("churn") == run.version
    assert (
        json.loads((registry.version_dir("churn", run.version) / "gate.json").read_text())["promote"] is True
    )
    # AND the day's users are scored into predictions/churn_scores with the agreed columns
    written = runner.score(
        lake, predictor, "churn", DAY, batch_rows=7, now=datetime(2026, 11, 22, 3, tzinfo=UTC)
    )
    assert written == 30
    table = pq.read_table(lake / "predictions" / "churn_scores" / f"as_of={DAY}")
    assert [(f.name, str(f.type)) for f in table.schema] == [
        ("user_id", "string"),
        ("churn_probability", "double"),
        ("risk_band", "string"),
        ("model_version", "string"),
        ("scored_at", "timestamp[us, tz=UTC]"),
    ]
    rows = [tuple(r.values()) for r in table.to_pylist()]
    assert {r[3] for r in rows} == {run.version}
    assert all(0 <= r[1] <= 1 and r[2] in ("low", "medium", "high") for r in rows)
    # AND the rows are exactly the shared contract that the Explorer and Athena read
    assert table.column_names == list(ChurnScores.model_fields)
    for row in table.to_pylist():
        ChurnScores.model_validate(row)


def test_a_worse_retrain_leaves_current_and_serving_unchanged(tmp_path: Path) -> None:
    # GIVEN an engagement model in service
    registry = LocalRegistry(tmp_path / "models")
    good = kit.write_channels(
        tmp_path / "good",
        kit.engagement_frame(1500, "2026-11-18", 1),
        kit.engagement_frame(500, "2026-11-20", 2),
    )
    first = runner.train("engagement", *good, registry, {"max-iter": "60"})
    assert first.decision.promote
    # WHEN a retrain on data whose target no longer follows the features is gated
    noisy_train = kit.engagement_frame(1500, "2026-11-19", 3)
    noisy_train["target"] = noisy_train["target"].sample(frac=1.0, random_state=0).to_numpy()
    worse = kit.write_channels(tmp_path / "worse", noisy_train, kit.engagement_frame(500, "2026-11-21", 4))
    second = runner.train("engagement", *worse, registry, {"max-iter": "60"})
    # THEN it is rejected with the reason, and `current` still names the first version
    assert not second.decision.promote
    assert registry.current("engagement") == first.version
    assert InProcessPredictor(registry).bundle("engagement").version == first.version


def test_in_process_predictor_answers_bad_rows_with_a_400_error_object(tmp_path: Path) -> None:
    # GIVEN a churn model in service
    registry = LocalRegistry(tmp_path / "models")
    channels = kit.write_channels(
        tmp_path / "sets", kit.churn_frame(300, "2026-11-18", 1), kit.churn_frame(200, "2026-11-20", 2)
    )
    runner.train("churn", *channels, registry, {"max-iter": "10"})
    # WHEN a row lacks a feature and carries an unknown one
    with pytest.raises(PredictionRejectedError) as caught:
        InProcessPredictor(registry).predict("churn", [{"user_id": "u-1", "events": 3, "colour": "red"}])
    # THEN the error object names each field and reason
    error = caught.value.to_dict()
    assert error["status"] == 400
    assert {(e["field"], e["code"]) for e in error["errors"]} >= {
        ("colour", "extra"),
        ("trend_ratio", "missing"),
    }


def test_training_failure_reports_the_scripts_error_and_keeps_nothing(tmp_path: Path) -> None:
    # GIVEN an empty training channel
    (tmp_path / "training").mkdir()
    (tmp_path / "validation").mkdir()
    registry = LocalRegistry(tmp_path / "models")
    # WHEN / THEN training fails with the script's message and leaves no version behind
    with pytest.raises(RuntimeError, match="no CSV rows"):
        runner.train("churn", tmp_path / "training", tmp_path / "validation", registry)
    assert not any((tmp_path / "models" / "churn").glob("2*"))


@pytest.mark.parametrize(("value", "threads"), [(None, 1), ("2", 2), ("0", 1), ("many", 1), (" 4 ", 4)])
def test_native_threads_default_to_one_unless_omp_num_threads_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, value: str | None, threads: int
) -> None:
    # GIVEN OMP_NUM_THREADS unset, a valid count, or nonsense
    if value is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", value)
    # WHEN the local models ask how many native threads to use THEN a positive count comes back
    assert runner.native_threads() == threads
