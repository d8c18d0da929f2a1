"""Delivering accepted records through an :class:`~audience.ingest.ports.EventSink` without losing any.

Records are cut into chunks within the sink's limits; after each attempt only the records the
sink reported as failed are sent again, with exponential backoff and jitter. Whatever still fails
after the last attempt is returned, so the API can answer 503 and the client retries the request
(idempotently: the records keep their ``event_id``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic

from tenacity import Retrying, retry_if_result, stop_after_attempt, stop_before_delay, wait_random_exponential
from tenacity.stop import stop_base

from audience.ingest.ports import EventSink, Row, SinkLimits


def chunks(records: Sequence[Row], limits: SinkLimits) -> Iterator[list[Row]]:
    """Split into batches of at most ``limits.max_records`` records and ``limits.max_bytes`` bytes."""
    if (
        len(records) <= limits.max_records
        and 4 * sum(len(r.to_json_line()) for r in records) <= limits.max_bytes
    ):
        if records:  # one batch for certain: no character takes more than 4 bytes of UTF-8
            yield list(records)
        return
    batch: list[Row] = []
    size = 0
    for record in records:
        record_size = len(record.to_json_line().encode())
        if batch and (len(batch) >= limits.max_records or size + record_size > limits.max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += record_size
    if batch:
        yield batch


@dataclass(frozen=True)
class DeliveryReport(Generic[Row]):
    delivered: list[Row]
    failed: list[Row]
    retried: int  # records sent more than once


def deliver(
    sink: EventSink,
    records: Sequence[Row],
    *,
    attempts: int = 4,
    backoff_seconds: float = 0.1,
    sleep: Callable[[float], None] | None = None,
    deadline: float | None = None,
) -> DeliveryReport[Row]:
    """``deadline`` (``time.monotonic()`` seconds) stops retrying in time for the caller to answer."""
    delivered: list[Row] = []
    failed: list[Row] = []
    retried = 0
    for batch in chunks(records, sink.limits):
        pending = batch
        sent_before = False

        def attempt() -> list[Row]:
            nonlocal pending, sent_before, retried
            if sent_before:
                retried += len(pending)
            sent_before = True
            bad = set(sink.put_batch(pending))
            delivered.extend(r for i, r in enumerate(pending) if i not in bad)
            pending = [r for i, r in enumerate(pending) if i in bad]
            return pending

        stop: stop_base = stop_after_attempt(attempts)
        if deadline is not None:
            stop = stop | stop_before_delay(max(0.0, deadline - time.monotonic()))
        Retrying(
            stop=stop,
            wait=wait_random_exponential(multiplier=backoff_seconds, max=backoff_seconds * 8),
            retry=retry_if_result(bool),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            sleep=sleep or time.sleep,
        )(attempt)
        failed.extend(pending)
    return DeliveryReport(delivered=delivered, failed=failed, retried=retried)
