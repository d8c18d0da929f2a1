"""Amazon Connect Customer Profiles as an activation destination (Pinpoint's supported successor).

AWS's migration guidance for Pinpoint's engagement features points to Amazon Connect (Customer
Profiles segments, used by Connect outbound campaigns). A static list gets in through a *segment
import*:

1. ``CreateUploadJob``: the CSV's field mapping (``profile_key`` -> ``_profile.AccountNumber``, a
   membership flag -> ``_profile.Attributes.<attribute>``), the unique key, and ``DataExpiry``, in
   days. The default is only 14 days, after which imported profiles expire, so it is set
   explicitly (``AUDIENCE_CONNECT_DATA_EXPIRY_DAYS``, 1..1098).
2. ``GetUploadJobPath``: a pre-signed S3 URL and a ``ClientToken``, the data key. The CSV is PUT to
   the URL with server-side encryption with a customer key: the token as
   ``x-amz-server-side-encryption-customer-key``, its MD5 and ``AES256`` as the algorithm.
3. ``StartUploadJob``.
4. ``CreateSegmentDefinition``: the segment campaigns target, the profiles whose membership
   attribute is set; created right away, it fills as the upload lands.
5. ``GetUploadJob`` polled with exponential backoff, a few times (the function handles up to ten
   segments within Lambda's 15 minutes): a failed upload raises, one still running is reported
   as ``UPLOAD_IN_PROGRESS``.

Six calls per segment plus the polls, independent of its size.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from audience.activation.endpoints import PROFILE_CHANNEL
from audience.activation.ports import ActivationReceipt, SegmentExport
from audience.core.audience_files import guard_cell
from audience.core.aws import client_config, new_client

Uploader = Callable[[str, bytes, Mapping[str, str]], int]
DONE: Final = {"SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "STOPPED"}
PROFILE_KEY: Final = "profile_key"


def put_presigned(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    """HTTP PUT of the file to the pre-signed URL; returns the status code."""
    if not url.startswith("https://"):
        raise ValueError("the upload URL must be https")
    request = urllib.request.Request(url, data=body, method="PUT", headers=dict(headers))  # noqa: S310 - https checked
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - https checked
        return int(response.status)


def sse_c_headers(client_token: str) -> dict[str, str]:
    """The SSE-C headers the pre-signed upload needs, from GetUploadJobPath's ClientToken."""
    try:
        key = base64.b64decode(client_token, validate=True)
    except ValueError:
        key = client_token.encode("utf-8")
    return {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": client_token,
        "x-amz-server-side-encryption-customer-key-MD5": base64.b64encode(hashlib.md5(key).digest()).decode(),  # noqa: S324 - the S3 SSE-C protocol's checksum
        "Content-Type": "text/csv",
    }


FIELD_NAME_MAX: Final = 64  # CreateUploadJob's Fields keys: [a-zA-Z0-9_.-]{1,64}


def attribute_for(segment_name: str) -> str:
    """The profile attribute that marks membership: ``segment_<name>``, at most 64 characters.

    It is a key of CreateUploadJob's ``Fields``, which the API limits to 64 characters; segment
    names may take 64 themselves. A longer one keeps its readable start and ends with a hash of the
    whole name, so two long names that share a start still get different attributes.
    """
    attribute = f"segment_{segment_name}".replace("-", "_")
    if len(attribute) <= FIELD_NAME_MAX:
        return attribute
    digest = hashlib.sha256(segment_name.encode("utf-8")).hexdigest()[:12]
    return f"{attribute[: FIELD_NAME_MAX - len(digest) - 1].rstrip('_')}_{digest}"


class CustomerProfilesDestination:
    name = "connect"
    channels: Sequence[str] | None = (PROFILE_CHANNEL,)

    def __init__(
        self,
        *,
        domain_name: str,
        data_expiry_days: int = 30,
        client: Any | None = None,
        uploader: Uploader = put_presigned,
        poll_seconds: float = 2.0,
        max_polls: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= data_expiry_days <= 1098:
            raise ValueError("DataExpiry must be 1..1098 days")
        self.domain_name, self.data_expiry_days = domain_name, data_expiry_days
        self._client, self.uploader = client, uploader
        self.poll_seconds, self.max_polls, self.sleep = poll_seconds, max_polls, sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("customer-profiles", client_config(attempts=5, read_timeout=30.0))
        return self._client

    def _csv(self, attribute: str, keys: Sequence[str]) -> bytes:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([PROFILE_KEY, attribute])
        seen: set[str] = set()
        for key in keys:
            if key not in seen:
                seen.add(key)
                writer.writerow([guard_cell(key), "true"])
        return text.getvalue().encode("utf-8")

    def activate(self, segment: SegmentExport) -> ActivationReceipt:
        attribute = attribute_for(segment.name)
        body = self._csv(attribute, [e.endpoint_id for e in segment.endpoints])
        calls = 0
        job_id = self.client.create_upload_job(
            DomainName=self.domain_name,
            DisplayName=segment.name,
            Fields={
                PROFILE_KEY: {
                    "Source": f"_source.{PROFILE_KEY}",
                    "Target": "_profile.AccountNumber",
                    "ContentType": "STRING",
                },
                attribute: {
                    "Source": f"_source.{attribute}",
                    "Target": f"_profile.Attributes.{attribute}",
                    "ContentType": "STRING",
                },
            },
            UniqueKey=PROFILE_KEY,
            DataExpiry=self.data_expiry_days,
        )["JobId"]
        calls += 1
        path = self.client.get_upload_job_path(DomainName=self.domain_name, JobId=job_id)
        calls += 1
        status_code = self.uploader(path["Url"], body, sse_c_headers(path.get("ClientToken", "")))
        calls += 1
        if not 200 <= status_code < 300:
            raise RuntimeError(f"upload of the segment file answered HTTP {status_code}")
        self.client.start_upload_job(DomainName=self.domain_name, JobId=job_id)
        calls += 1
        # The definition is a filter on the membership attribute: created now, it fills as the
        # upload lands, so a slow upload never holds the function (up to 10 segments per job).
        self.client.create_segment_definition(
            DomainName=self.domain_name,
            SegmentDefinitionName=segment.name,
            DisplayName=segment.name,
            Description=f"Personalize item-attribute affinity: {segment.query}"[:4000],
            SegmentGroups={
                "Groups": [
                    {
                        "Dimensions": [
                            {
                                "ProfileAttributes": {
                                    "Attributes": {
                                        attribute: {"DimensionType": "INCLUSIVE", "Values": ["true"]}
                                    }
                                }
                            }
                        ],
                        "Type": "ALL",
                    }
                ],
                "Include": "ALL",
            },
        )
        calls += 1
        status = "CREATED"
        job: dict[str, Any] = {}
        for attempt in range(self.max_polls):
            job = self.client.get_upload_job(DomainName=self.domain_name, JobId=job_id)
            calls += 1
            status = str(job.get("Status", ""))
            if status in DONE or attempt == self.max_polls - 1:
                break
            self.sleep(min(self.poll_seconds * 2**attempt, 30.0))
        if status in ("FAILED", "STOPPED"):
            raise RuntimeError(f"upload job {job_id} {status}: {job.get('StatusReason', 'no reason given')}")
        return ActivationReceipt(
            destination=self.name,
            segment=segment.name,
            size=body.count(b"\n") - 1,
            location=f"customer-profiles://{self.domain_name}/segment-definitions/{segment.name}",
            reference=job_id,
            status=status if status in DONE else "UPLOAD_IN_PROGRESS",
            api_calls=calls,
        )
