"""The generator's ground truth: churn propensities that recover who goes quiet, and the demo's report section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sklearn.metrics import roc_auc_score

from audience.datagen import GeneratorConfig, generate
from audience.datagen.oracle import Oracle
from audience.models.stage import model_report

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
CONFIG = GeneratorConfig(seed=3, n_users=400, n_content=300, target_events=40_000, window_days=40, now=NOW)


def test_oracle_churn_propensity_predicts_who_has_no_event_in_the_horizon() -> None:
    # GIVEN a generated history and a horizon of its last 10 days
    start = CONFIG.window_end - timedelta(days=10)
    before: set[str] = set()
    during: set[str] = set()
    for item in generate(CONFIG):
        if item.defect:
            continue
        at = datetime.fromisoformat(str(item.payload["timestamp"]).replace("Z", "+00:00"))
        (during if at >= start else before).add(str(item.payload["user_id"]))
    users = sorted(before)
    # WHEN the oracle gives each user active before it their probability of no session in it
    truth = Oracle(CONFIG).churn_probability(users, start, CONFIG.window_end)
    labels = [int(u not in during) for u in users]
    # THEN the probabilities rank the users who stayed silent far above chance, and are probabilities
    assert 0.1 < sum(labels) / len(labels) < 0.8
    assert roc_auc_score(labels, [truth[u] for u in users]) > 0.85
    assert all(0.0 <= p <= 1.0 for p in truth.values())
    # and expected sessions follow the real event counts' scale (within a factor of two overall)
    sessions = Oracle(CONFIG).expected_sessions(users, CONFIG.window_start, CONFIG.window_end)
    assert 0.5 * 40_000 / 30 < sum(sessions.values()) < 2 * 40_000 / 3


def test_oracle_interest_is_the_planted_affinity() -> None:
    # GIVEN the oracle WHEN an unknown user or item is asked THEN 0, else a value in (0, 1]
    oracle = Oracle(CONFIG)
    assert oracle.interest("nobody", "c-000001") == 0.0
    assert 0.0 < oracle.interest("u-000001", "c-000001") <= 1.0
    assert oracle.item_weight("u-000001", "c-000001") >= 0.0


def test_model_report_has_every_printed_figure_flat_per_model() -> None:
    # GIVEN two training runs' metrics and the oracle's figures
    def run(holdout: dict[str, float], baseline: dict[str, float]) -> dict[str, object]:
        return {
            "version": "v1",
            "promoted": True,
            "metrics": {
                "holdout": holdout,
                "baseline": {"name": "naive", **baseline},
                "rows": {"train": 10, "holdout": 8},
            },
        }

    result = {
        "runs": {
            "engagement": run({"r2": 0.1, "mae": 1.2}, {"r2": -0.1, "mae": 1.3}),
            "churn": run(
                {"roc_auc": 0.8, "pr_auc": 0.5, "brier": 0.1, "top_decile_lift": 3.0, "positive_rate": 0.2},
                {"roc_auc": 0.7, "pr_auc": 0.4, "brier": 0.12, "top_decile_lift": 2.5},
            ),
        },
        "scored": {"churn": 5, "engagement": 9},
    }
    oracle = {"churn": {"roc_auc": 0.9, "pr_auc": 0.7, "brier": 0.08}, "engagement": {"r2": 0.15, "mae": 1.1}}
    # WHEN the report section is built
    section = model_report(result, oracle)
    # THEN the agreed keys are there with the run's values
    churn, engagement = section["churn"], section["engagement"]
    assert (churn["roc_auc"], churn["baseline_roc_auc"], churn["oracle_roc_auc"]) == (0.8, 0.7, 0.9)
    assert (churn["pr_auc"], churn["brier"], churn["top_decile_lift"]) == (0.5, 0.1, 3.0)
    assert (engagement["r2"], engagement["baseline_r2"], engagement["oracle_r2"]) == (0.1, -0.1, 0.15)
    assert (engagement["mae"], engagement["baseline_mae"], engagement["oracle_mae"]) == (1.2, 1.3, 1.1)
    assert churn["baseline"] == "naive" and section["scored"] == {"churn": 5, "engagement": 9}
