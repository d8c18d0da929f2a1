"""Stored insights: under the lake's ``insights/`` prefix, keyed by subject and by inputs hash.

``insights/latest/<kind>/<id>/<time_range>.json`` is what a request is answered from while fresh;
``insights/by-inputs/<sha256>.json`` lets identical inputs reuse an answer (no second model call).
Ids are percent-encoded in keys, so an id can never address another prefix.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import ValidationError

from audience.core.objectstore.ports import ObjectStore
from audience.insights.models import InsightRecord

PREFIX = "insights"


def latest_key(kind: str, subject_id: str, time_range: str) -> str:
    return f"{PREFIX}/latest/{kind}/{quote(subject_id, safe='')}/{time_range}.json"


def inputs_key(digest: str) -> str:
    return f"{PREFIX}/by-inputs/{digest}.json"


class InsightStore:
    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects

    def load(self, key: str) -> InsightRecord | None:
        try:
            return InsightRecord.model_validate_json(self.objects.get_object(key))
        except FileNotFoundError:
            return None
        except ValidationError:
            return None  # written by an older version: write a new one

    def save(self, record: InsightRecord) -> None:
        body = record.model_dump_json(indent=1).encode()
        self.objects.put_object(inputs_key(record.inputs_hash), body, "application/json")
        self.objects.put_object(
            latest_key(record.subject.kind, record.subject.id, record.time_range), body, "application/json"
        )
