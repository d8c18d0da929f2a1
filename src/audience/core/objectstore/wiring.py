"""The one place the lake's object store is built: the S3 bucket in AWS, ``$AUDIENCE_HOME/lake`` locally.

Adapters are imported lazily, so a Lambda package never imports the folder adapter and a laptop never
needs AWS credentials.
"""

from __future__ import annotations

from audience.core.objectstore.ports import ObjectStore
from audience.core.settings import Settings


def lake_store(settings: Settings) -> ObjectStore:
    """The lake bucket (S3, ``AUDIENCE_LAKE_BUCKET``) or folder (``settings.lake_dir``)."""
    if settings.backend == "aws":
        from audience.core.objectstore.adapters.aws import S3ObjectStore

        if not settings.lake_bucket:
            raise RuntimeError("aws backend needs AUDIENCE_LAKE_BUCKET")
        return S3ObjectStore(settings.lake_bucket)
    from audience.core.objectstore.adapters.local import FolderObjectStore

    return FolderObjectStore(settings.lake_dir)
