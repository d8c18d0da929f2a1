from __future__ import annotations

import numpy as np
import pytest
from explorer_testkit import small_frame

from audience.explorer.segmentation import ProfileRow, describe, encode, segment, signature, stable_ids

# Measured on the 1,500-user test audience: k-means 0.97-0.98 with k=6 (0.98 on the 5,000 users of
# data/). The threshold leaves margin for library and platform differences, not for a broken model.
MIN_ARI = 0.85


@pytest.fixture(scope="module")
def frame():  # type: ignore[no-untyped-def]
    return small_frame()


def test_segmentation_kmeans_recovers_planted_segments(frame) -> None:  # type: ignore[no-untyped-def]
    # GIVEN generated profiles with six planted segments
    # WHEN k-means chooses k by silhouette over 4..8
    result = segment(frame, "kmeans", k_range=range(4, 9))
    # THEN it finds six segments that agree with the planted ones
    assert result.params["k"] == 6
    assert result.ari is not None and result.ari >= MIN_ARI, result.ari
    assert sum(s.size for s in result.segments) == len(frame)


def test_segmentation_ids_are_stable_across_reruns_and_matched_to_previous(frame) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a first run
    encoded = encode(frame)
    first = segment(frame, "kmeans", encoded=encoded, k=6)
    # WHEN the same data runs again, and when a bootstrap resample runs with the first run as previous
    again = segment(frame, "kmeans", encoded=encoded, k=6)
    rng = np.random.default_rng(1)
    resampled = frame.take(rng.choice(len(frame), size=len(frame), replace=True))
    previous = {s.segment_id: signature(s.profile) for s in first.segments}
    later = segment(resampled, "kmeans", k=6, previous=previous, seed=3)
    # THEN the rerun has identical ids, and the resample keeps every id of the first run
    assert [s.segment_id for s in again.segments] == [s.segment_id for s in first.segments]
    assert {s.segment_id for s in later.segments} == {s.segment_id for s in first.segments}


def test_segmentation_profile_lift_is_segment_over_population(frame) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a segmentation
    result = segment(frame, "kmeans", k=6)
    top = result.segments[0]
    members = result.labels == 0
    # WHEN its podcast row is read
    row = next(r for r in top.profile if r.attribute == "time_on_podcasts_min")
    # THEN it holds the members' mean, the population's mean and their ratio
    values = frame.numeric["time_on_podcasts_min"]
    assert row.segment_value == pytest.approx(values[members].mean())
    assert row.population_value == pytest.approx(values.mean())
    assert row.lift == pytest.approx(values[members].mean() / values.mean())


def test_segmentation_names_come_from_the_most_distinctive_attributes() -> None:
    # GIVEN a profile where podcasts over-index x4 and a level is common and over-indexed
    rows = [
        ProfileRow("time_on_podcasts_min", "", "mean", 80, 20, 4.0),
        ProfileRow("avg_monthly_spend", "", "mean", 33, 30, 1.1),
        ProfileRow("traveler_type", "business", "share", 0.6, 0.2, 3.0),
        ProfileRow("traveler_type", "family", "share", 0.05, 0.01, 5.0),  # rare in the segment: not a name
    ]
    # WHEN a name is generated
    name, chosen = describe(rows, limit=2)
    # THEN it reads from the strongest over-indexed traits
    assert name == "Podcast lovers · Business travelers"
    assert [r.attribute for r in chosen] == ["time_on_podcasts_min", "traveler_type"]


def test_segmentation_stable_ids_never_repeat() -> None:
    # GIVEN two identical signatures (a degenerate run)
    sig = {"a=": 0.5}
    # WHEN ids are assigned  THEN they still differ
    ids = stable_ids("kmeans", [sig, dict(sig)], {})
    assert len(set(ids)) == 2


def test_segmentation_hdbscan_labels_everyone(frame) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the audience  WHEN HDBSCAN runs
    result = segment(frame, "hdbscan")
    # THEN every user has a segment (noise is one too) and the noise segment has its fixed id
    assert sum(s.size for s in result.segments) == len(frame)
    assert all(s.segment_id.startswith("hdb-") for s in result.segments)
    # AND it finds real structure, if far less than k-means (measured 0.23 here, 0.55 on data/;
    # chance is 0): the planted segments are overlapping blobs, not density islands
    assert result.ari is not None and result.ari > 0.15, result.ari
