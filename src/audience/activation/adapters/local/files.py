"""The file destination, and the import-file formats the campaign tools read.

The file export is :func:`audience.activation.files.write_export` (CSV + JSON + manifest, cells
guarded against formula injection), written to any :class:`~audience.core.objectstore.ports.ObjectStore`: a folder
under ``$AUDIENCE_HOME/activation/`` locally, an S3 prefix in the cloud. The manifest is stored
last, so a reader that sees it knows both data files are complete.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from audience.activation.ports import ActivationReceipt, SegmentExport
from audience.core.audience_files import safe_name, write_export
from audience.core.objectstore.ports import ObjectStore


class FileDestination:
    """CSV + JSON + manifest per segment under ``prefix`` of an object store."""

    name = "files"
    channels: Sequence[str] | None = None
    COLUMNS: Final = ("rank", "user_id", "endpoint_ids")

    def __init__(self, store: ObjectStore, prefix: str = "", location: str = "") -> None:
        self.store = store
        self.prefix = prefix.strip("/")
        self.location = location or self.prefix

    def activate(self, segment: SegmentExport) -> ActivationReceipt:
        by_user: dict[str, list[str]] = {}
        for endpoint in segment.endpoints:
            by_user.setdefault(endpoint.user_id, []).append(f"{endpoint.channel}:{endpoint.endpoint_id}")
        rows = [
            {"rank": rank, "user_id": user, "endpoint_ids": "|".join(by_user[user])}
            for rank, user in enumerate(segment.users, start=1)
            if user in by_user
        ]
        with tempfile.TemporaryDirectory() as tmp:
            manifest = write_export(
                Path(tmp),
                name=segment.name,
                definition=segment.definition(),
                rows=rows,
                columns=self.COLUMNS,
                source="personalize",
                model_version=segment.model_version,
                created_at=segment.created_at,
            )
            folder = "/".join(p for p in (self.prefix, safe_name(segment.name)) if p)
            names = [*manifest.files.values(), f"{safe_name(segment.name)}.manifest.json"]
            for file_name in names:  # the manifest last
                content_type = "text/csv" if file_name.endswith(".csv") else "application/json"
                self.store.put_object(
                    f"{folder}/{file_name}", (Path(tmp) / file_name).read_bytes(), content_type
                )
        return ActivationReceipt(
            destination=self.name,
            segment=segment.name,
            size=manifest.size,
            location=f"{self.location.rstrip('/')}/{safe_name(segment.name)}/" if self.location else folder,
            reference=names[-1],
            status="WRITTEN",
            api_calls=len(names),
        )
