"""The file destination, and the import-file formats the campaign tools read.

The file export is :func:`audience.core.audience_files.write_export` (CSV + JSON + manifest, cells
guarded against formula injection), written to any :class:`~audience.core.objectstore.ports.ObjectStore`: a folder
under ``$AUDIENCE_HOME/activation/`` locally, an S3 prefix in the cloud. The manifest is stored
last, so a reader that sees it knows both data files are complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from audience.activation.endpoints import EndpointTable, row_numbers
from audience.activation.ports import ActivationReceipt, SegmentExport
from audience.core.audience_files import export_files, safe_name
from audience.core.objectstore.ports import ObjectStore


def member_rows(segment: SegmentExport) -> pa.Table:
    """``rank, user_id, endpoint_ids``: each member with an endpoint, in rank order, their endpoints
    as ``channel:id`` joined by ``|`` (the mapping's order), built in Arrow.

    A user's endpoints are grouped by user (a user twice in a segment lists them at both ranks)."""
    if isinstance(segment.endpoints, EndpointTable) and segment.endpoints.unique_users:
        # Sorted by rank, one rank per user: each run of equal ranks is one member, no hashing.
        table = segment.endpoints.table
        rank = table.column("rank").combine_chunks()
        n = len(rank)
        labels = pc.binary_join_element_wise(table.column("channel"), table.column("endpoint_id"), ":")
        if n == 0:
            return pa.table({"rank": rank, "user_id": table.column("user_id"), "endpoint_ids": labels})
        changes = pc.add(pc.indices_nonzero(pc.not_equal(rank.slice(1), rank.slice(0, n - 1))), 1)
        starts = pa.concat_arrays([pa.array([0], pa.uint64()), changes.cast(pa.uint64())])
        offsets = pa.concat_arrays([starts.cast(pa.int32()), pa.array([n], pa.int32())])
        if isinstance(labels, pa.ChunkedArray):
            labels = labels.combine_chunks()
        joined = pc.binary_join(pa.ListArray.from_arrays(offsets, labels), "|")
        return pa.table(
            {
                "rank": rank.take(starts),
                "user_id": table.column("user_id").take(starts),
                "endpoint_ids": joined,
            }
        )
    if isinstance(segment.endpoints, EndpointTable):
        found = segment.endpoints.table.select(["user_id", "channel", "endpoint_id"])
    else:
        found = pa.table(
            {
                "user_id": pa.array([e.user_id for e in segment.endpoints], pa.string()),
                "channel": pa.array([e.channel for e in segment.endpoints], pa.string()),
                "endpoint_id": pa.array([e.endpoint_id for e in segment.endpoints], pa.string()),
            }
        )
    labels = pc.binary_join_element_wise(found.column("channel"), found.column("endpoint_id"), ":")
    per_user = (
        pa.table({"user_id": found.column("user_id"), "label": labels})
        .group_by("user_id", use_threads=False)  # ordered: a user's labels in the mapping's order
        .aggregate([("label", "list")])
    )
    per_user = pa.table(
        {
            "user_id": per_user.column("user_id"),
            "endpoint_ids": pc.binary_join(per_user.column("label_list"), "|"),
        }
    )
    users = pa.array(segment.users, pa.string())
    members = pa.table({"rank": pc.add(row_numbers(len(users)), 1), "user_id": users})
    rows = members.join(per_user, keys="user_id", join_type="inner", use_threads=True)
    return rows.sort_by("rank").select(["rank", "user_id", "endpoint_ids"])


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
        files, manifest = export_files(
            name=segment.name,
            definition=segment.definition(),
            rows=member_rows(segment),
            columns=self.COLUMNS,
            source="personalize",
            model_version=segment.model_version,
            created_at=segment.created_at,
        )
        folder = "/".join(p for p in (self.prefix, safe_name(segment.name)) if p)
        names = list(files)
        for file_name, body in files.items():  # the manifest last
            content_type = "text/csv" if file_name.endswith(".csv") else "application/json"
            self.store.put_object(f"{folder}/{file_name}", body, content_type)
        return ActivationReceipt(
            destination=self.name,
            segment=segment.name,
            size=manifest.size,
            location=f"{self.location.rstrip('/')}/{safe_name(segment.name)}/" if self.location else folder,
            reference=names[-1],
            status="WRITTEN",
            api_calls=len(names),
        )
