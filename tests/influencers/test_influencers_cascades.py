"""Cascade metrics with exact values on hand-made trees, and root resolution at as_of."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from social_builders import T0, post

from audience.influencers.cascades import SeismicParams, kernel_mass
from audience.influencers.frame import posts_frame
from audience.influencers.scoring import score
from schemas.social import SocialPost


def _cascades(posts: list[dict], as_of_minutes: float = 60) -> pd.DataFrame:
    frame = posts_frame(SocialPost.model_validate(p) for p in posts)
    result = score(frame, T0 + pd.Timedelta(minutes=as_of_minutes))
    return result.cascades.set_index("root_post_id")


def test_cascade_metrics_of_a_star_are_exact() -> None:
    # GIVEN a root reshared directly by 4 accounts (a star of 5 nodes)
    posts = [post("r", "a")] + [post(f"s{i}", f"u{i}", i, reshare_of="r") for i in range(1, 5)]
    # WHEN measured
    c = _cascades(posts).loc["r"]
    # THEN size 5, depth 1, breadth 4; SV = mean pairwise distance = (4*1 + 6*2) / 10 = 1.6
    assert (c["size"], c["depth"], c["breadth"]) == (5, 1, 4)
    assert c["structural_virality"] == pytest.approx(1.6)
    assert c["time_to_1"] == 60.0 and math.isnan(c["time_to_10"])


def test_cascade_metrics_of_a_chain_are_exact() -> None:
    # GIVEN a chain r <- b <- c <- d (each reshares the previous)
    posts = [post("r", "a"), post("b", "b", 1, reshare_of="r"), post("c", "c", 2, reshare_of="b")]
    posts.append(post("d", "d", 3, reshare_of="c"))
    c = _cascades(posts).loc["r"]
    # THEN depth 3, breadth 1; SV for a path of 4: distances 1,1,1,2,2,3 -> 10/6
    assert (c["size"], c["depth"], c["breadth"]) == (4, 3, 1)
    assert c["structural_virality"] == pytest.approx(10 / 6)


def test_cascade_metrics_of_a_branching_tree_and_a_lone_root() -> None:
    # GIVEN r -> {x, y}, x -> {x1, x2}; and a lone root q
    posts = [
        post("r", "a"),
        post("x", "x", 1, reshare_of="r"),
        post("y", "y", 2, reshare_of="r"),
        post("x1", "p", 3, reshare_of="x"),
        post("x2", "q", 4, reshare_of="x"),
        post("q", "z", 5),
    ]
    cascades = _cascades(posts)
    c = cascades.loc["r"]
    # THEN pairwise distances: Wiener index = sum over edges s(n-s) = 3*2 + 1*4 + 1*4 + 1*4 = 18; 18/10
    assert (c["size"], c["depth"], c["breadth"]) == (5, 2, 2)
    assert c["structural_virality"] == pytest.approx(1.8)
    lone = cascades.loc["q"]
    assert (lone["size"], lone["depth"], lone["breadth"], lone["structural_virality"]) == (1, 0, 1, 0.0)


def test_unseen_parent_counts_under_nearest_seen_ancestor_or_own_root() -> None:
    # GIVEN r <- b <- c, where b is created after as_of; and an orphan reshare of a post never seen
    posts = [
        post("r", "a", 0),
        post("b", "b", 90, reshare_of="r"),
        post("c", "c", 10, reshare_of="b"),
        post("o", "o", 5, reshare_of="missing"),
    ]
    # WHEN scored at minute 30
    cascades = _cascades(posts, as_of_minutes=30)
    # THEN c hangs under r (its nearest seen ancestor); the orphan is a root; b is not counted
    assert cascades.loc["r", "size"] == 2 and cascades.loc["r", "depth"] == 1
    assert cascades.loc["o", "size"] == 1
    assert set(cascades.index) == {"r", "o"}


def test_duplicate_posts_count_once() -> None:
    posts = [post("r", "a"), post("s", "b", 1, reshare_of="r"), post("s", "b", 1, reshare_of="r")]
    assert _cascades(posts).loc["r", "size"] == 2


def test_prediction_grows_an_active_cascade_more_than_a_quiet_one() -> None:
    # GIVEN two cascades of equal size: one reshared in the last minutes, one only at the start
    active = [post("a", "a", 0)] + [post(f"a{i}", f"ua{i}", 10 + i / 2, reshare_of="a") for i in range(10)]
    quiet = [post("q", "q", 0)] + [post(f"q{i}", f"uq{i}", i / 10, reshare_of="q") for i in range(10)]
    cascades = _cascades(active + quiet, as_of_minutes=15)
    # THEN both are observed at 11 and the active one is predicted larger
    assert cascades.loc["a", "size"] == cascades.loc["q", "size"] == 11
    assert cascades.loc["a", "predicted_final_size"] > cascades.loc["q", "predicted_final_size"] >= 11


def test_kernel_mass_is_a_distribution_function() -> None:
    params = SeismicParams()
    values = kernel_mass(pd.Series([0.0, 60.0, 300.0, 3600.0, 1e12]).to_numpy(), params)
    assert values[0] == 0.0 and all(values[i] < values[i + 1] for i in range(4))
    assert values[2] == pytest.approx(1 / (1 + 1 / params.theta))
    assert values[-1] == pytest.approx(1.0, abs=0.01)
