"""What the recommendations slice needs from outside, as Protocols.

* :class:`Recommender`: a model trained on a :class:`~audience.recommend.data.Dataset` that scores
  every item for a block of users. The popularity and baseline recipes are our own logic; the
  Personalize stand-in (EASE) is a local adapter, and in AWS the lists come from Personalize itself.
* :class:`RecommendationTable`: the lists, keyed by user and variant (DynamoDB with a TTL in AWS,
  SQLite locally).
* :class:`LiveRecommender`: Personalize ``GetRecommendations`` on a campaign, when one is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the serving function ships without numpy
    import numpy as np
    import numpy.typing as npt


class Recommender(Protocol):
    name: str

    def fit(self, data: Any) -> Recommender:
        """Train on a :class:`~audience.recommend.data.Dataset`; returns self."""
        ...

    def score(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Scores of every item (columns, the dataset's item index) for each user index (rows).
        Higher is better; ``-inf`` means never recommend."""
        ...


@dataclass(frozen=True)
class StoredList:
    user_id: str
    variant: str
    items: list[str]
    scores: list[float]
    model: str
    generated_at: str
    """ISO-8601 UTC."""
    cold_start: bool = False


class RecommendationTable(Protocol):
    def put_lists(self, lists: Sequence[StoredList], ttl_seconds: int) -> int:
        """Store (replace) lists; returns how many were written."""
        ...

    def get_list(self, user_id: str, variant: str) -> StoredList | None:
        """The stored list, or None when absent or expired."""
        ...

    def count(self, variant: str | None = None) -> int: ...


class LiveRecommender(Protocol):
    def recommend(self, user_id: str, num_results: int) -> tuple[list[str], list[float]]:
        """Items and scores for one user from a deployed campaign."""
        ...


@dataclass(frozen=True)
class ServedList:
    """One answer of the serving API: what the online comparison joins engagement to."""

    recommendation_id: str
    user_id: str
    variant: str
    items: list[str]
    served_at: str
    """``yyyy-MM-dd HH:mm:ss.ffffff`` UTC (the lake's timestamp text, which Athena and DuckDB parse)."""
    cold_start: bool
    source: str
    model: str
    experiment: str


class ServedLog(Protocol):
    def record(self, served: ServedList) -> None:
        """Append to the lake's ``recommendations_served`` table (Firehose in AWS, JSON lines locally)."""
        ...


class OnlineQuery(Protocol):
    def available(self) -> bool:
        """Both tables hold data."""
        ...

    def run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]: ...
