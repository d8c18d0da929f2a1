"""Content titles and types from the catalog (``reference/content_catalog.csv`` in the lake bucket).

Titles are user-controlled text (creators write them): they reach a prompt only as quoted data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ContentInfo:
    content_id: str
    title: str | None
    content_type: str | None
    genre: str | None


class CsvCatalog:
    """The catalog CSV, read once on first use from ``load`` (``None`` when there is no catalog)."""

    def __init__(self, load: Callable[[], bytes | None]) -> None:
        self._load = load
        self._items: dict[str, ContentInfo] | None = None

    def _all(self) -> dict[str, ContentInfo]:
        if self._items is None:
            body = self._load()
            items: dict[str, ContentInfo] = {}
            if body:
                for row in csv.DictReader(io.StringIO(body.decode("utf-8"))):
                    genres = (row.get("genres") or "").split("|")
                    items[row["content_id"]] = ContentInfo(
                        content_id=row["content_id"],
                        title=row.get("title") or None,
                        content_type=row.get("content_type") or None,
                        genre=genres[0] or None,
                    )
            self._items = items
        return self._items

    def describe(self, content_id: str) -> ContentInfo | None:
        return self._all().get(content_id)
