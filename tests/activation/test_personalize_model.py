"""The local item-attribute-affinity model: ranking, shrinkage, recency, and the job's output format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audience.activation.adapters.local.personalize_model import (
    AffinityConfig,
    Interactions,
    ItemAttributeAffinityModel,
    batch_segment_lines,
    write_batch_output,
)
from audience.activation.segments import parse_output

DAY = 86_400
ITEMS = {
    "a1": {"genres": frozenset({"Action"})},
    "a2": {"genres": frozenset({"Action", "Drama"})},
    "c1": {"genres": frozenset({"Comedy"})},
}


def _rows() -> list[tuple[str, str, str, int]]:
    rows = [("once", "a1", "view", 10 * DAY)]  # one Action view out of one
    rows += [("fan", "a1" if i % 5 else "c1", "view", 10 * DAY - i * 3600) for i in range(50)]  # 40 of 50
    rows += [("stale", "a2", "view", 0) for _ in range(40)] + [("stale", "c1", "view", 10 * DAY)]  # long ago
    rows += [("comic", "c1", "like", 10 * DAY) for _ in range(5)]
    return rows


def test_personalize_model_ranks_steady_recent_fans_above_one_off_and_stale_users() -> None:
    # GIVEN a steady recent Action fan, a one-off viewer, a fan whose Action was long ago, a comedy fan
    model = ItemAttributeAffinityModel(AffinityConfig(half_life_days=3)).fit(
        Interactions.from_rows(_rows()), ITEMS
    )
    # WHEN ranked for Action
    ranking = model.rank('ITEMS.genres = "Action"', 4)
    # THEN the steady fan leads by far; forty old Action views still beat a single recent one
    assert ranking.users[0] == "fan" and ranking.scores[0] > 5 * ranking.scores[1]
    assert ranking.users.index("stale") < ranking.users.index("once")
    # AND the past-share baseline puts the one-off viewer (share 1.0) first
    assert model.rank_by_past_share('ITEMS.genres = "Action"', 1).users == ["once"]


def test_personalize_model_writes_the_batch_segment_job_format(tmp_path: Path) -> None:
    # GIVEN a fitted model and two queries, one matching no item
    model = ItemAttributeAffinityModel().fit(Interactions.from_rows(_rows()), ITEMS)
    # WHEN the job output is written
    out = write_batch_output(
        tmp_path / "q.json.out",
        batch_segment_lines(model, ['ITEMS.genres = "Action"', 'ITEMS.genres = "Horror"'], 2),
    )
    lines = out.read_text().splitlines()
    # THEN it is JSON lines as Personalize documents them, with the error on the failed query
    first = json.loads(lines[0])
    assert set(first) == {"itemAttributes", "output"} and list(first["output"]) == ["recommendedUsers"]
    assert len(first["output"]["recommendedUsers"]) == 2
    assert "no item matches" in json.loads(lines[1])["error"]
    # AND post-processing reads it back
    parsed = parse_output(lines)
    assert parsed[0].users == first["output"]["recommendedUsers"] and parsed[1].error


def test_personalize_model_refuses_to_rank_before_fit_or_without_data() -> None:
    # GIVEN no data  WHEN fitting or ranking  THEN a clear error
    with pytest.raises(ValueError, match="no interactions"):
        ItemAttributeAffinityModel().fit(Interactions.from_rows([]), ITEMS)
    with pytest.raises(RuntimeError, match="fit"):
        ItemAttributeAffinityModel().rank('ITEMS.genres = "Action"', 1)
