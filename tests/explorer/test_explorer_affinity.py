from __future__ import annotations

import math

import numpy as np

from audience.explorer.affinity import affinity_scores, band


def test_affinity_formula_is_exact_on_hand_made_data() -> None:
    # GIVEN 4 users in two segments with podcast minutes 10, 30 (A) and 0, 40 (B): overall mean 20
    ids = np.array(["A", "A", "B", "B"])
    channels = {"podcasts": np.array([10.0, 30.0, 0.0, 40.0]), "video": np.array([1.0, 1.0, 2.0, 4.0])}
    # WHEN the scores are computed
    scores = {(a.segment_id, a.channel): a for a in affinity_scores(ids, channels, min_users=2)}
    # THEN each is (segment average / overall average) x 100
    assert scores[("A", "podcasts")].score == 100.0  # 20 / 20
    assert scores[("B", "podcasts")].score == 100.0
    assert math.isclose(scores[("A", "video")].score or 0, 1.0 / 2.0 * 100)  # overall (1+1+2+4)/4 = 2
    assert math.isclose(scores[("B", "video")].score or 0, 3.0 / 2.0 * 100)
    assert scores[("B", "video")].band == "sweet_spot"
    assert scores[("A", "video")].band == "deprioritise"
    # AND B rests on a single podcast listener: too few to trust with min_users=2
    assert scores[("B", "podcasts")].engaged_users == 1
    assert scores[("B", "podcasts")].low_confidence
    assert not scores[("A", "podcasts")].low_confidence


def test_affinity_bands_have_inclusive_edges() -> None:
    # GIVEN the band edges  WHEN banded  THEN 120 is a sweet spot, 80 de-prioritised, between neutral
    assert (band(120.0), band(119.99), band(80.01), band(80.0)) == (
        "sweet_spot",
        "neutral",
        "neutral",
        "deprioritise",
    )


def test_affinity_ignores_unknown_values_and_skips_empty_channels() -> None:
    # GIVEN a channel known for only some users, and one known for none
    ids = np.array(["A", "A", "B"])
    channels = {"tv": np.array([4.0, np.nan, 2.0]), "radio": np.array([np.nan, np.nan, np.nan])}
    # WHEN scored
    scores = affinity_scores(ids, channels, min_users=1)
    # THEN unknowns count in neither mean, and the empty channel has no scores
    by = {(a.segment_id, a.channel): a.score for a in scores}
    assert by == {("A", "tv"): 4.0 / 3.0 * 100, ("B", "tv"): 2.0 / 3.0 * 100}
