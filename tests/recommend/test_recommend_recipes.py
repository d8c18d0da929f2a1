"""The recipes on tiny hand-made data: seen items never come back, preferences and CF matter, and
the EASE stand-in is a learned model (different users, different lists), not popularity."""

from __future__ import annotations

import numpy as np

from audience.recommend.adapters.local.ease import EaseRecommender
from audience.recommend.data import Dataset, InteractionLog, Item, newest_share_split
from audience.recommend.evaluate import train_and_recommend
from audience.recommend.recipes import Baseline, BaselineConfig, Popularity, top_n

DAY = 86_400


def _catalog() -> list[Item]:
    return [
        Item("c1", frozenset({"Comedy"}), "video", 0, "Laughs 1"),
        Item("c2", frozenset({"Comedy"}), "video", 0, "Laughs 2"),
        Item("c3", frozenset({"Comedy"}), "video", 0, "Laughs 3"),
        Item("d1", frozenset({"Drama"}), "video", 0, "Tears 1"),
        Item("d2", frozenset({"Drama"}), "video", 0, "Tears 2"),
        Item("d3", frozenset({"Drama"}), "video", 0, "Tears 3"),
    ]


def _two_tribes() -> InteractionLog:
    """Comedy fans watch c1, c2 (and some c3); drama fans d1, d2 (and some d3); popularity is even."""
    rows: list[tuple[str, str, int, str]] = []
    for n in range(10):
        rows += [(f"fc{n}", "c1", DAY, "view"), (f"fc{n}", "c2", 2 * DAY, "view")]
        rows += [(f"fd{n}", "d1", DAY, "view"), (f"fd{n}", "d2", 2 * DAY, "view")]
        if n < 6:
            rows += [(f"fc{n}", "c3", 3 * DAY, "view"), (f"fd{n}", "d3", 3 * DAY, "view")]
    rows += [("new-comedy", "c1", 4 * DAY, "like"), ("new-drama", "d1", 4 * DAY, "like")]
    return InteractionLog.from_rows(rows)


def test_ease_gives_each_tribe_its_own_next_item_and_never_a_seen_one() -> None:
    # GIVEN two tribes with the same popularity, and one new member of each who saw one item
    data = Dataset.build(_two_tribes(), _catalog())
    # WHEN the stand-in recommends 2 items to each newcomer
    lists = train_and_recommend(data, [EaseRecommender()], ["new-comedy", "new-drama"], 2).lists[
        "personalize"
    ]
    # THEN each gets its own tribe's items first, and never the item it saw
    assert set(lists["new-comedy"]) == {"c2", "c3"}
    assert set(lists["new-drama"]) == {"d2", "d3"}


def test_popularity_is_the_same_list_for_everyone_minus_seen_items() -> None:
    # GIVEN the two tribes
    data = Dataset.build(_two_tribes(), _catalog())
    # WHEN popularity recommends 3 items
    lists = train_and_recommend(data, [Popularity()], ["new-comedy", "new-drama"], 3).lists["popularity"]
    # THEN both get the most counted items (ties by id), minus what they saw
    assert lists["new-comedy"] == ["d1", "c2", "d2"]
    assert lists["new-drama"] == ["c1", "c2", "d2"]


def test_baseline_blends_popularity_with_the_users_genre_preference() -> None:
    # GIVEN the two tribes (equal popularity across genres)
    data = Dataset.build(_two_tribes(), _catalog())
    users = np.array([data.user_index["new-comedy"], data.user_index["new-drama"]])
    # WHEN the blend baseline ranks
    ranked = {r.user: r.items for r in top_n(Baseline().fit(data), data, users, 2)}
    # THEN the comedy newcomer gets comedies and the drama newcomer dramas
    assert {str(data.items[i]) for i in ranked[users[0]]} == {"c2", "c3"}
    assert {str(data.items[i]) for i in ranked[users[1]]} == {"d2", "d3"}
    # AND with no preference strength it is plain decayed popularity (the same top item for both)
    flat = Baseline(BaselineConfig(preference_strength=0.0)).fit(data)
    tops = [r.items[0] for r in top_n(flat, data, users, 1)]
    assert tops[0] != data.item_index["c1"] and tops[1] != data.item_index["d1"]


def test_baseline_item_cf_recommends_the_neighbours_of_what_was_seen() -> None:
    # GIVEN the two tribes
    data = Dataset.build(_two_tribes(), _catalog())
    # WHEN the item-CF baseline ranks for the newcomers
    lists = train_and_recommend(
        data, [Baseline(BaselineConfig(mode="item-cf"))], ["new-comedy", "new-drama"], 2
    ).lists["baseline"]
    # THEN the neighbours of c1 are the comedies, of d1 the dramas
    assert set(lists["new-comedy"]) == {"c2", "c3"}
    assert set(lists["new-drama"]) == {"d2", "d3"}


def test_items_outside_the_catalogue_are_never_recommended_and_cold_users_get_popular_items() -> None:
    # GIVEN interactions with an item the catalogue does not hold (it was withdrawn)
    rows = [(f"u{n}", "gone", DAY, "view") for n in range(20)] + [("u0", "c1", DAY, "view")]
    data = Dataset.build(InteractionLog.from_rows(rows), _catalog())
    # WHEN two users get lists, one of them unknown
    lists = train_and_recommend(data, [Popularity(), EaseRecommender()], ["u1", "stranger"], 3).lists
    # THEN the withdrawn item never appears, and the stranger still gets a full list
    for recipe in lists.values():
        assert all("gone" not in items for items in recipe.values())
        assert len(recipe["stranger"]) == 3


def test_skips_are_dropped_and_the_split_holds_out_each_users_newest_fifth() -> None:
    # GIVEN a user with 10 interactions (one a skip) and another with 3
    rows = [("a", f"i{n}", n * DAY, "view") for n in range(10)] + [("a", "x", 99 * DAY, "skip")]
    rows += [("b", f"i{n}", n * DAY, "view") for n in range(3)]
    log = InteractionLog.from_rows(rows)
    # WHEN split
    split = newest_share_split(log, 0.2)
    # THEN the skip is gone, a keeps 8 and b keeps 2 (ceil of a fifth held out), newest last
    assert len(log) == 13
    held = sorted(zip(split.holdout.user_id, split.holdout.item_id, strict=True))
    assert held == [("a", "i8"), ("a", "i9"), ("b", "i2")]
