"""An S3 bucket as the :class:`~audience.core.objectstore.ports.ObjectStore`.

Encryption is left to the bucket's default (SSE-S3 or SSE-KMS set in the template), so the code
needs no key id and the bucket policy stays the one place that decides.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from audience.core.aws import client_config, error_code, new_client


class S3ObjectStore:
    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("s3", client_config(attempts=3, read_timeout=5.0))
        return self._client

    def put_object(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def get_object(self, key: str) -> bytes:
        """The object's bytes; a missing key raises ``FileNotFoundError`` like the folder store."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                raise FileNotFoundError(f"s3://{self.bucket}/{key}") from exc
            raise
        body: bytes = response["Body"].read()
        return body

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)
