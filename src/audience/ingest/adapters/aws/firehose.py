"""The lake's front door: Amazon Data Firehose (``PutRecordBatch``) as an :class:`~audience.ingest.ports.EventSink`.

One ``put_batch`` is one ``PutRecordBatch`` call. Consecutive JSON lines are packed into Firehose
records of up to 5,000 bytes (:func:`pack`): Firehose bills each record as a whole number of 5 KB
increments, so a 540-byte line sent alone is billed as 5 KB, nine times its size. Format conversion
reads several JSON documents in one record ("Convert input data format in Amazon Data Firehose":
"You can convert the format of your data even if you aggregate your records"; an array is not
allowed, concatenated documents are), and every line keeps its newline. What comes back:

* entries of the response with an ``ErrorCode`` -> the positions of every line in those records
  (the domain resends only those);
* the whole call failing transiently (throttling, 5xx, timeout, dropped connection) -> every
  position, never an exception, so the domain retries uniformly;
* the whole call failing for any other reason (stream not found, access denied, validation,
  no credentials) -> the exception propagates: misconfiguration must be loud, not a silent 503 loop.

A batch beyond Firehose's limits (500 records, 4 MiB, 1,000 KiB per record) raises ``ValueError``:
the domain's chunking and the ingestion limits (32 KiB per event) make that a programming error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from audience.core.aws import client_config, error_code, is_transient, new_client
from audience.core.observability import logger
from audience.ingest.ports import LakeRow, SinkLimits

MAX_RECORD_BYTES = 1_000 * 1024
"""Firehose's limit on one record, before base64 encoding."""

PACKED_RECORD_BYTES = 5_000
"""Lines are packed into records up to this size: one 5 KB billing increment (whether a KB is 1,000
or 1,024 bytes). A longer line (events may have up to 32 KiB) is a record of its own."""


def pack(lines: Sequence[bytes], limit: int = PACKED_RECORD_BYTES) -> list[tuple[bytes, list[int]]]:
    """Consecutive lines joined into records of at most ``limit`` bytes, in order, each with the
    positions of its lines."""
    packed: list[tuple[bytes, list[int]]] = []
    members: list[int] = []
    size = 0
    for position, line in enumerate(lines):
        if members and size + len(line) > limit:
            packed.append((b"".join(lines[i] for i in members), members))
            members, size = [], 0
        members.append(position)
        size += len(line)
    if members:
        packed.append((b"".join(lines[i] for i in members), members))
    return packed


# Firehose's own limits; ``deliver`` chunks within them.
FIREHOSE_LIMITS = SinkLimits(max_records=500, max_bytes=4 * 1024 * 1024)


class FirehoseSink:
    def __init__(self, stream_name: str, client: Any | None = None) -> None:
        self.stream_name = stream_name
        self.limits = FIREHOSE_LIMITS
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            # One attempt of at most 1 s + 2 s: ``deliver`` is the retry layer (with jittered backoff,
            # resending only failed records), so botocore retrying too would multiply the attempts.
            # Four deliveries then stay near 12 s even against a black-holed endpoint. No client-side
            # parameter walk on the hot path (see ``client_config``).
            self._client = new_client(
                "firehose", client_config(attempts=1, read_timeout=2.0, validate_parameters=False)
            )
        return self._client

    def put_batch(self, records: Sequence[LakeRow]) -> list[int]:
        if not records:
            return []
        data = [record.to_json_line().encode() for record in records]
        self._check_limits(data)
        packed = pack(data)
        try:
            response = self.client.put_record_batch(
                DeliveryStreamName=self.stream_name, Records=[{"Data": record} for record, _ in packed]
            )
        except (ClientError, BotoCoreError) as exc:
            if not is_transient(exc):
                raise
            code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
            logger.warning(
                "firehose call failed, all records to retry", extra={"code": code, "records": len(data)}
            )
            return list(range(len(records)))
        answers = response.get("RequestResponses", [])
        refused = [i for i, entry in enumerate(answers) if entry.get("ErrorCode")]
        # Never seen, but a short answer must not lose the records it does not mention.
        refused.extend(range(len(answers), len(packed)))
        failed = [position for i in refused for position in packed[i][1]]
        if failed:
            codes = sorted(
                {str(e.get("ErrorCode")) for e in response["RequestResponses"] if e.get("ErrorCode")}
            )
            logger.warning("firehose rejected records", extra={"failed": len(failed), "codes": codes})
        return failed

    def _check_limits(self, data: list[bytes]) -> None:
        if len(data) > self.limits.max_records:
            raise ValueError(f"{len(data)} records exceed Firehose's {self.limits.max_records} per call")
        total = sum(len(d) for d in data)
        if total > self.limits.max_bytes:
            raise ValueError(f"{total} bytes exceed Firehose's {self.limits.max_bytes} per call")
        biggest = max(len(d) for d in data)
        if biggest > MAX_RECORD_BYTES:
            raise ValueError(f"a record of {biggest} bytes exceeds Firehose's {MAX_RECORD_BYTES} per record")
