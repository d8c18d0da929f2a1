"""Sentiment with Amazon Comprehend ``BatchDetectSentiment`` (the VADER stand-in's cloud counterpart).

Limits (Comprehend API reference): at most 25 documents per call, each at most 5 KB of UTF-8 and at
least 1 character; real-time analysis reads the first 500 characters. Texts are cut at a character
boundary under 5,000 bytes, empty ones are not sent (scored 0), and a per-document error scores 0
rather than failing the run. The compound score is ``Positive - Negative`` (in [-1, 1], like VADER's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audience.core.aws import client_config, new_client

MAX_DOCUMENTS = 25
MAX_DOCUMENT_BYTES = 5_000


def fit(text: str) -> str:
    data = text.encode("utf-8")[:MAX_DOCUMENT_BYTES]
    return data.decode("utf-8", errors="ignore")


class ComprehendScorer:
    def __init__(self, language: str = "en", client: Any | None = None) -> None:
        self.language = language
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("comprehend", client_config(attempts=5, read_timeout=10.0))
        return self._client

    def score(self, texts: Sequence[str]) -> list[float]:
        scores = [0.0] * len(texts)
        todo = [(i, fit(t)) for i, t in enumerate(texts) if t and t.strip()]
        for start in range(0, len(todo), MAX_DOCUMENTS):
            chunk = todo[start : start + MAX_DOCUMENTS]
            response = self.client.batch_detect_sentiment(
                TextList=[text for _, text in chunk], LanguageCode=self.language
            )
            for result in response.get("ResultList", []):
                s = result.get("SentimentScore", {})
                scores[chunk[result["Index"]][0]] = float(s.get("Positive", 0.0)) - float(
                    s.get("Negative", 0.0)
                )
        return scores
