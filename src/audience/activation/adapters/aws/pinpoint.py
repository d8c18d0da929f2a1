"""Amazon Pinpoint as an activation destination: a static segment from an S3 CSV import.

As in the reference architecture: the segment's endpoint ids go to S3 as a CSV with the single
header ``Id``, and one ``CreateImportJob`` (``DefineSegment``) makes a static segment of them. Two
API calls per segment (PutObject, CreateImportJob), whatever its size.

Note: AWS ended support for Amazon Pinpoint's engagement features on 2026-10-30; this adapter is
kept because it was asked for and for accounts still using it. See the README's activation section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audience.activation.ports import ActivationReceipt, SegmentExport
from audience.core.audience_files import pinpoint_csv, safe_name
from audience.core.aws import client_config, new_client
from audience.core.objectstore.ports import ObjectStore

PINPOINT_CHANNELS: Sequence[str] = ("EMAIL", "SMS", "PUSH", "GCM", "APNS", "VOICE", "IN_APP", "CUSTOM")


class PinpointDestination:
    name = "pinpoint"
    channels: Sequence[str] | None = PINPOINT_CHANNELS

    def __init__(
        self,
        *,
        store: ObjectStore,
        bucket: str,
        prefix: str,
        application_id: str,
        role_arn: str,
        client: Any | None = None,
    ) -> None:
        self.store, self.bucket, self.prefix = store, bucket, prefix.strip("/")
        self.application_id, self.role_arn = application_id, role_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("pinpoint", client_config(attempts=5, read_timeout=30.0))
        return self._client

    def activate(self, segment: SegmentExport) -> ActivationReceipt:
        key = f"{self.prefix}/{safe_name(segment.name)}.csv"
        ids = [e.endpoint_id for e in segment.endpoints]
        body = pinpoint_csv(ids)
        self.store.put_object(key, body, "text/csv")
        url = f"s3://{self.bucket}/{key}"
        response = self.client.create_import_job(
            ApplicationId=self.application_id,
            ImportJobRequest={
                "DefineSegment": True,
                "Format": "CSV",
                "RegisterEndpoints": False,
                "RoleArn": self.role_arn,
                "S3Url": url,
                "SegmentName": segment.name,
            },
        )
        job = response["ImportJobResponse"]
        return ActivationReceipt(
            destination=self.name,
            segment=segment.name,
            size=body.count(b"\n") - 1,
            location=url,
            reference=str(job["Id"]),
            status=str(job.get("JobStatus", "CREATED")),
            api_calls=2,
        )
