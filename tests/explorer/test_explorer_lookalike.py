from __future__ import annotations

import numpy as np
import pytest
from explorer_testkit import small_frame

from audience.explorer.lookalike import SeedError, build
from audience.explorer.segmentation import encode


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    frame = small_frame()
    return frame, encode(frame).embedding


def test_lookalike_finds_held_out_planted_members_far_better_than_random(data) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a seed of half the planted podcast commuters (as a marketer's uploaded list would be)
    frame, embedding = data
    planted = np.flatnonzero(frame.planted == "podcast_commuters")
    seed = np.zeros(len(frame), dtype=bool)
    seed[planted[::2]] = True
    rest = planted[1::2]
    # WHEN a lookalike audience as large as the unseen half is built
    result = build(embedding, seed, size=len(rest))
    # THEN its own holdout check beats random by a wide margin
    q = result.quality
    assert q.random_recall == pytest.approx(q.size / q.pool)
    assert q.lift is not None and q.lift > 4, q
    # AND most of the truly unseen commuters are in the audience, and no seed member is
    assert np.isin(rest, result.members).mean() > 0.7
    assert not seed[result.members].any()


def test_lookalike_of_a_random_seed_is_no_better_than_random(data) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a seed drawn at random (nothing to learn)
    _, embedding = data
    rng = np.random.default_rng(5)
    seed = np.zeros(len(embedding), dtype=bool)
    seed[rng.choice(len(embedding), size=300, replace=False)] = True
    # WHEN a lookalike is built
    result = build(embedding, seed, size=300)
    # THEN the quality figure says so honestly (no large lift)
    assert result.quality.lift is not None and result.quality.lift < 2


def test_lookalike_rejects_too_small_seeds(data) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a seed of 5 users  WHEN a lookalike is asked for  THEN it is refused with the reason
    _, embedding = data
    seed = np.zeros(len(embedding), dtype=bool)
    seed[:5] = True
    with pytest.raises(SeedError, match="at least 20"):
        build(embedding, seed, size=10)
