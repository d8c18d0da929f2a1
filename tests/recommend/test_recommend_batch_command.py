"""``python -m audience.recommend batch`` on the bingewatch fixture: the output format, no seen
items, only catalogue items; and ``evaluate`` on the same files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from recommend_testkit import BINGEWATCH, ROOT

pytestmark = pytest.mark.skipif(
    not BINGEWATCH.exists(), reason=f"{BINGEWATCH} not present (set AUDIENCE_SHARED_DATA)"
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audience.recommend", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("recipe", ["popularity", "baseline", "personalize"])
def test_batch_writes_personalize_batch_output_without_seen_or_unknown_items(
    recipe: str, tmp_path: Path
) -> None:
    # GIVEN bingewatch's interactions and items, and the batch input for its users plus a stranger
    with (BINGEWATCH / "users.csv").open() as f:
        users = [row["USER_ID"] for row in csv.DictReader(f)]
    (tmp_path / "users.jsonl").write_text(
        "".join(json.dumps({"userId": u}) + "\n" for u in [*users, "stranger"])
    )
    out = tmp_path / "out.jsonl"
    # WHEN the batch command runs
    proc = _run(
        "batch",
        "--interactions", str(BINGEWATCH / "interactions.csv"),
        "--items", str(BINGEWATCH / "items.csv"),
        "--users", str(tmp_path / "users.jsonl"),
        "--recipe", recipe,
        "--num-results", "25",
        "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # THEN every line is Personalize's batch inference output, in input order
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["input"] for line in lines] == [{"userId": u} for u in [*users, "stranger"]]
    seen: dict[str, set[str]] = {}
    with (BINGEWATCH / "interactions.csv").open() as f:
        for row in csv.DictReader(f):
            seen.setdefault(row["USER_ID"], set()).add(row["ITEM_ID"])
    with (BINGEWATCH / "items.csv").open() as f:
        catalog = {row["ITEM_ID"] for row in csv.DictReader(f)}
    for line in lines:
        assert set(line) == {"input", "output", "error"} and line["error"] is None
        items, scores = line["output"]["recommendedItems"], line["output"]["scores"]
        assert set(line["output"]) == {"recommendedItems", "scores"}
        assert len(items) == len(scores) > 0 and len(items) <= 25 and len(set(items)) == len(items)
        assert all(isinstance(s, float) for s in scores) and scores == sorted(scores, reverse=True)
        # AND no item the user already interacted with, and only catalogue items
        assert not set(items) & seen.get(line["input"]["userId"], set())
        assert set(items) <= catalog
    # AND the summary counts the cold-start user
    assert json.loads(proc.stdout)["cold_start_users"] == 1


def test_batch_rejects_a_file_without_the_required_columns(tmp_path: Path) -> None:
    # GIVEN an interactions file without TIMESTAMP
    bad = tmp_path / "i.csv"
    bad.write_text("USER_ID,ITEM_ID\n1,2\n")
    (tmp_path / "u.jsonl").write_text('{"userId": "1"}\n')
    # WHEN the batch command runs
    proc = _run(
        "batch", "--interactions", str(bad), "--items", str(BINGEWATCH / "items.csv"),
        "--users", str(tmp_path / "u.jsonl"), "--recipe", "baseline", "--out", str(tmp_path / "o.jsonl"),
    )  # fmt: skip
    # THEN it exits with a usage error naming the column, and writes nothing
    assert proc.returncode == 2
    assert "missing column(s) TIMESTAMP" in proc.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_evaluate_reports_accuracy_lists_and_exposure_and_compares_written_lists(tmp_path: Path) -> None:
    # GIVEN bingewatch
    # WHEN the holdout evaluation runs
    proc = _run(
        "evaluate", "--interactions", str(BINGEWATCH / "interactions.csv"),
        "--items", str(BINGEWATCH / "items.csv"), "--out", str(tmp_path / "r.json"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    # THEN every recipe has Personalize's metrics plus recall@20 with intervals
    for recipe in ("popularity", "baseline", "personalize"):
        acc = report["accuracy"][recipe]
        for key in ("ndcg@5", "ndcg@10", "ndcg@25", "precision@10", "mrr@25", "recall@20"):
            assert acc[key]["low"] <= acc[key]["value"] <= acc[key]["high"], key
    assert set(report["accuracy"]["personalize"]["vs_popularity"]) == {"ndcg@10", "recall@20"}
    assert 0 <= report["lists"]["rbo"]["value"] <= 1 and report["users_evaluated"] == 100
    assert "only_personalize" in report["exposure"]


def test_evaluate_compares_two_written_batch_outputs_against_later_interactions(tmp_path: Path) -> None:
    # GIVEN bingewatch split in time: the older 80% to train on, the newer 20% as what happened next
    with (BINGEWATCH / "interactions.csv").open() as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["TIMESTAMP"]))
    cut = int(len(rows) * 0.8)
    header = "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n"
    (tmp_path / "train.csv").write_text(
        header
        + "".join(f"{r['USER_ID']},{r['ITEM_ID']},{r['EVENT_TYPE']},{r['TIMESTAMP']}\n" for r in rows[:cut])
    )
    (tmp_path / "later.csv").write_text(
        header
        + "".join(f"{r['USER_ID']},{r['ITEM_ID']},{r['EVENT_TYPE']},{r['TIMESTAMP']}\n" for r in rows[cut:])
    )
    users = sorted({r["USER_ID"] for r in rows})
    (tmp_path / "users.jsonl").write_text("".join(json.dumps({"userId": u}) + "\n" for u in users))
    for recipe in ("baseline", "personalize"):
        proc = _run(
            "batch", "--interactions", str(tmp_path / "train.csv"), "--items", str(BINGEWATCH / "items.csv"),
            "--users", str(tmp_path / "users.jsonl"), "--recipe", recipe, "--out", str(tmp_path / f"{recipe}.jsonl"),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    # WHEN the two outputs are compared
    proc = _run(
        "evaluate", "--interactions", str(tmp_path / "train.csv"), "--items", str(BINGEWATCH / "items.csv"),
        "--lists", str(tmp_path / "baseline.jsonl"), str(tmp_path / "personalize.jsonl"),
        "--truth", str(tmp_path / "later.csv"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    # THEN the lists are compared user by user, and both are judged on what came later
    assert report["lists"]["users"] == len(users)
    assert 0 <= report["lists"]["overlap_at_k"]["value"] <= 1
    assert report["users_evaluated"] > 0
    assert set(report["accuracy"]) == {"baseline", "personalize"}
