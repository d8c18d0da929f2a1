"""Exact metric values on hand-made lists (worked by hand in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audience.recommend import metrics as m


def test_overlap_and_jaccard_on_hand_made_lists() -> None:
    # GIVEN two lists sharing a and b, in swapped order
    a, b = ["a", "b", "c", "d"], ["b", "a", "e", "f"]
    # THEN the top 2 match fully, the top 4 half; Jaccard is 2 shared of 6 distinct
    assert m.overlap_at_k(a, b, 2) == 1.0
    assert m.overlap_at_k(a, b, 4) == 0.5
    assert m.jaccard(a, b) == pytest.approx(1 / 3)


def test_rbo_identical_disjoint_and_a_swap() -> None:
    # GIVEN identical, disjoint and swapped lists
    # THEN identical is 1, disjoint 0, and [a,b,c] vs [a,c,b] with p=0.9 is
    # X = 1, 1, 3: 3/3 * 0.729 + (0.1/0.9) * (1*0.9 + 1/2*0.81 + 3/3*0.729) = 0.729 + 2.034/9
    assert m.rbo(["a", "b", "c"], ["a", "b", "c"]) == pytest.approx(1.0)
    assert m.rbo(["a", "b"], ["x", "y"]) == 0.0
    assert m.rbo(["a", "b", "c"], ["a", "c", "b"]) == pytest.approx(0.729 + 2.034 / 9)


def test_kendall_tau_on_shared_items_and_rank_shifts() -> None:
    # GIVEN a reversed list, and a list keeping a first but swapping b and c
    # THEN reversed is -1; the swap gives 2 concordant and 1 discordant pair: (2 - 1) / 3
    assert m.kendall_tau_shared(["a", "b", "c", "d"], ["d", "c", "b", "a"]) == pytest.approx(-1.0)
    assert m.kendall_tau_shared(["a", "b", "c"], ["a", "c", "b", "x"]) == pytest.approx(1 / 3)
    assert m.kendall_tau_shared(["a", "b"], ["a", "x"]) is None
    # AND each shared item's shift is its rank in b minus its rank in a
    assert m.rank_shifts(["a", "b", "c"], ["c", "a", "x", "b"]) == {"a": 1, "b": 2, "c": -2}


def test_accuracy_metrics_on_hand_made_lists() -> None:
    # GIVEN a hit at rank 2 of 3 with two relevant items
    # THEN DCG = 1/log2(3), ideal = 1 + 1/log2(3)
    assert m.ndcg_at_k(["x", "a", "y"], {"a", "b"}, 3) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )
    assert m.ndcg_at_k(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)
    assert m.mrr_at_k(["x", "y", "a"], {"a"}, 25) == pytest.approx(1 / 3)
    assert m.mrr_at_k(["x", "y", "a"], {"a"}, 2) == 0.0
    assert m.precision_at_k(["a", "x"], {"a"}, 2) == 0.5
    assert m.recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 3) == 0.5
    with pytest.raises(ValueError, match="relevant"):
        m.ndcg_at_k(["a"], set(), 5)


def test_exposure_metrics_on_hand_made_lists() -> None:
    # GIVEN two lists over a catalogue of four items
    lists = [["a", "b"], ["b", "c"]]
    # THEN three of four items are covered; all exposure on one item of four gives Gini 0.75
    assert m.coverage(lists, 4) == 0.75
    assert m.gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert m.gini([1, 1, 1, 1]) == 0.0
    assert m.exposure_counts(lists, ["a", "b", "c", "d"]) == [1, 2, 1, 0]
    # AND novelty is the mean of -log2(share of users): a (4 of 8) = 1 bit, b (1 of 8) = 3 bits
    assert m.novelty([["a", "b"]], {"a": 4, "b": 1}, 8) == pytest.approx(2.0)


def test_bootstrap_intervals_contain_the_estimate_and_pair_users() -> None:
    # GIVEN per-user values where the model is exactly twice the baseline for every user
    rng = np.random.default_rng(1)
    base = rng.uniform(0.1, 1.0, 200)
    # WHEN both intervals are computed
    mean = m.bootstrap_mean(base)
    ratio = m.bootstrap_ratio(2 * base, base)
    # THEN the mean's interval brackets it and the paired ratio has no spread at all
    assert mean.low < mean.value < mean.high
    assert ratio.value == pytest.approx(2.0)
    assert ratio.low == pytest.approx(2.0) and ratio.high == pytest.approx(2.0)
