"""The one place the lake's object store is built: the S3 bucket in AWS, ``$AUDIENCE_HOME/lake`` locally.

Adapters are imported lazily, so a Lambda package never imports the folder adapter and a laptop never
needs AWS credentials.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from audience.core.objectstore.ports import ObjectStore

if TYPE_CHECKING:  # a type only: the Glue job that imports this module ships without pydantic-settings
    from audience.core.settings import CoreSettings


def lake_store(settings: CoreSettings) -> ObjectStore:
    """The lake bucket (S3, ``AUDIENCE_LAKE_BUCKET``) or folder (``settings.lake_dir``)."""
    if settings.backend == "aws":
        return bucket_store(settings.need("lake_bucket"))
    return folder_store(settings.lake_dir)


def bucket_store(bucket: str) -> ObjectStore:
    """Another S3 bucket than the lake (the models' bucket)."""
    from audience.core.objectstore.adapters.aws import S3ObjectStore

    return S3ObjectStore(bucket)


def folder_store(folder: Path) -> ObjectStore:
    """A local folder as an object store (exports to download, the activation's file destination)."""
    from audience.core.objectstore.adapters.local import FolderObjectStore

    return FolderObjectStore(folder)
