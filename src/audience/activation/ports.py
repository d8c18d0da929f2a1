"""The activation port: hand one named segment to a campaign tool, get a receipt back.

Adapters: Amazon Pinpoint (S3 CSV + CreateImportJob), Amazon Connect Customer Profiles (upload job +
segment definition) in :mod:`audience.activation.adapters.aws`, and the plain file export
(:class:`audience.activation.adapters.local.files.FileDestination`, a folder locally or an S3 prefix).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol, TextIO, runtime_checkable

from audience.activation.endpoints import Endpoint


@dataclass(frozen=True)
class SegmentExport:
    """A segment ready to activate: users in rank order and their resolved, opted-in endpoints."""

    name: str
    query: str
    users: Sequence[str]
    endpoints: Sequence[Endpoint]
    created_at: datetime
    job: str
    model_version: str | None = None

    def definition(self) -> dict[str, Any]:
        return {"query": self.query, "job": self.job, "users_in_segment": len(self.users)}


@dataclass(frozen=True)
class ActivationReceipt:
    destination: str
    segment: str
    size: int
    location: str
    reference: str | None = None
    status: str = "SUBMITTED"
    api_calls: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class ActivationDestination(Protocol):
    name: str
    channels: Sequence[str] | None
    """Endpoint channels this destination takes from the mapping (None: every channel)."""

    def activate(self, segment: SegmentExport) -> ActivationReceipt: ...


class TextObjects(Protocol):
    """Objects read and written as text streams, for files too large to hold in memory."""

    def read_lines(self, key: str) -> Iterator[str]:
        """The object's lines, with their line endings; a missing key raises FileNotFoundError."""
        ...

    def writer(self, key: str) -> AbstractContextManager[TextIO]:
        """A text stream whose content becomes the object when the block ends without error."""
        ...
