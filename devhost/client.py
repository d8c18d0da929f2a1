"""A well-behaved ingestion client: batches, concurrency, and retries that honour ``Retry-After``.

Used by the demo and the benchmarks; also the reference for how client apps should send events:
resend the *same* batch (same ``event_id`` values) on 503, 429 or a dropped connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


class RetryableResponseError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


@dataclass
class PostOutcome:
    status: int
    body: dict[str, Any]
    events: int
    seconds: float
    attempts: int = 1
    sent: list[dict[str, Any]] = field(default_factory=list, repr=False)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RetryableResponseError):
        header = exc.response.headers.get("retry-after")
        if header and header.isdigit():
            return min(float(header), 30.0)
    return float(min(0.2 * 2 ** (state.attempt_number - 1), 5.0))


class IngestClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0, attempts: int = 5) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout, headers={"x-api-key": api_key})
        self.attempts = attempts

    def post_batch(self, events: list[dict[str, Any]]) -> PostOutcome:
        started = time.perf_counter()
        tries = 0

        def once() -> httpx.Response:
            nonlocal tries
            tries += 1
            response = self.http.post("/events", json={"events": events})
            if response.status_code in RETRYABLE_STATUS:
                raise RetryableResponseError(response)
            return response

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=_wait,
            retry=retry_if_exception_type((RetryableResponseError, httpx.TransportError)),
            reraise=True,
        )
        try:
            response = retrying(once)
        except RetryableResponseError as exc:
            response = exc.response
        body = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        return PostOutcome(
            response.status_code, body, len(events), time.perf_counter() - started, tries, events
        )

    def close(self) -> None:
        self.http.close()


def batched(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def post_all(
    base_url: str,
    api_key: str,
    batches: Iterable[list[dict[str, Any]]],
    *,
    workers: int = 4,
    on_done: Callable[[PostOutcome], None] | None = None,
) -> list[PostOutcome]:
    """Send batches from ``workers`` concurrent clients; results come back in completion order."""
    clients = [IngestClient(base_url, api_key) for _ in range(workers)]
    outcomes: list[PostOutcome] = []
    try:
        with ThreadPoolExecutor(workers) as pool:
            pending = []
            for i, batch in enumerate(batches):
                pending.append(pool.submit(clients[i % workers].post_batch, batch))
                if len(pending) >= workers * 4:  # bounded look-ahead keeps memory flat
                    outcome = pending.pop(0).result()
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
            for future in pending:
                outcome = future.result()
                outcomes.append(outcome)
                if on_done:
                    on_done(outcome)
    finally:
        for client in clients:
            client.close()
    return outcomes
