"""Names shared by the segmentation job and the web app (which ships without scikit-learn)."""

from __future__ import annotations

from typing import Final, Literal

Method = Literal["kmeans", "hdbscan"]
METHODS: Final[tuple[Method, ...]] = ("kmeans", "hdbscan")
NOISE_ID: Final = "hdb-noise"
"""The segment of users HDBSCAN leaves unclustered."""
