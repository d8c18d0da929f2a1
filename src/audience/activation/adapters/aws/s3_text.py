"""S3 objects as text streams: lines read as they arrive, writes uploaded in parts.

Reading iterates the response body in 1 MiB chunks; writing buffers ``part_size`` bytes (8 MiB,
above S3's 5 MiB minimum for all but the last part) and uploads each part as it fills, so memory
stays bounded whatever the object's size. A write smaller than one part is a single PutObject; a
failed block aborts the multipart upload, so no half-written object or orphaned parts remain.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, TextIO

from botocore.exceptions import ClientError

from audience.core.aws import client_config, error_code, new_client

MIB: Final = 1024 * 1024
MIN_PART: Final = 5 * MIB  # S3: every part but the last is at least 5 MiB


class _PartUploader(io.RawIOBase):
    """A writable raw stream that sends what it is given to S3 as multipart upload parts."""

    def __init__(self, client: Any, bucket: str, key: str, part_size: int, content_type: str) -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.part_size, self.content_type = part_size, content_type
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer += bytes(data)
        while len(self.buffer) >= self.part_size:
            self._send(bytes(self.buffer[: self.part_size]))
            del self.buffer[: self.part_size]
        return len(data)

    def _send(self, body: bytes) -> None:
        if self.upload_id is None:
            self.upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self.content_type
            )["UploadId"]
        number = len(self.parts) + 1
        etag = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )["ETag"]
        self.parts.append({"ETag": etag, "PartNumber": number})

    def finish(self) -> None:
        if self.upload_id is None:  # smaller than one part: a single request
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer), ContentType=self.content_type
            )
            return
        if self.buffer:
            self._send(bytes(self.buffer))
            self.buffer.clear()
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )

    def abort(self) -> None:
        if self.upload_id is not None:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


class S3TextObjects:
    """:class:`audience.activation.ports.TextObjects` on one bucket."""

    def __init__(self, bucket: str, client: Any | None = None, part_size: int = 8 * MIB) -> None:
        if part_size < MIN_PART:
            raise ValueError(f"S3 parts are at least {MIN_PART} bytes")
        self.bucket, self._client, self.part_size = bucket, client, part_size

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("s3", client_config(attempts=5, read_timeout=60.0))
        return self._client

    def read_lines(self, key: str) -> Iterator[str]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                raise FileNotFoundError(f"s3://{self.bucket}/{key}") from exc
            raise
        for line in body.iter_lines(chunk_size=MIB, keepends=True):
            yield line.decode("utf-8")

    @contextmanager
    def writer(self, key: str, content_type: str = "text/csv") -> Iterator[TextIO]:
        raw = _PartUploader(self.client, self.bucket, key, self.part_size, content_type)
        text = io.TextIOWrapper(io.BufferedWriter(raw, buffer_size=MIB), encoding="utf-8", newline="")
        try:
            yield text
            text.flush()
        except BaseException:
            raw.abort()
            raise
        raw.finish()
