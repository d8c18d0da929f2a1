"""VADER sentiment (Hutto & Gilbert 2014), Comprehend's local stand-in: its lexicon ships in the wheel."""

from __future__ import annotations

from collections.abc import Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


class VaderScorer:
    """Implements :class:`~audience.influencers.ports.SentimentScorer` with VADER's compound score."""

    def __init__(self) -> None:
        self.analyzer = SentimentIntensityAnalyzer()

    def score(self, texts: Sequence[str]) -> list[float]:
        return [float(self.analyzer.polarity_scores(t)["compound"]) for t in texts]
