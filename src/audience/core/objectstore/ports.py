"""The object-store port shared by every slice: a bucket (S3 in the cloud, a folder locally).

Adapters: :mod:`audience.core.objectstore.adapters.aws` and :mod:`audience.core.objectstore.adapters.local`;
:func:`audience.core.objectstore.wiring.lake_store` picks one from the settings.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ObjectStore(Protocol):
    """A bucket: S3 in the cloud, a folder locally. Keys use ``/`` and the lake's layout."""

    def put_object(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get_object(self, key: str) -> bytes:
        """The object's bytes; a missing key raises :class:`FileNotFoundError` on every adapter."""
        ...

    def list_keys(self, prefix: str) -> list[str]: ...
