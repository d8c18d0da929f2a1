"""AWS adapters of the ports (boto3): Firehose sink, S3 object store, DynamoDB counters.

This is the only package that imports boto3. Every adapter takes an optional client, so tests
inject a moto- or Stubber-backed one; otherwise the client is created on first use with
:func:`client_config`.

Time budget: API Gateway gives a request 29 s and the ingest function times out at 20 s. Botocore
retries are kept few (the domain has its own retry layer for deliveries, and the counter store its
own for transactions) and the timeouts short, so a black-holed dependency costs seconds, not the
whole budget.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

# Error codes that say "try again later", whatever the service.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
    }
)
TRANSIENT_CODES = THROTTLING_CODES | {
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "RequestTimeout",
    "RequestTimeoutException",
    "TransactionInProgressException",
}


def client_config(
    *,
    attempts: int = 3,
    connect_timeout: float = 1.0,
    read_timeout: float = 3.0,
    validate_parameters: bool = True,
) -> Config:
    """Botocore settings for a Lambda behind API Gateway: standard retries, short timeouts.

    ``standard`` rather than ``adaptive``: adaptive mode's client-side rate limiter lives in one
    process (one Lambda instance sees a sliver of the traffic) and may sleep for an unbounded time,
    which a latency-bound request cannot afford.

    ``validate_parameters=False`` is for the ingestion hot path only: botocore's client-side walk of
    every request through its model was 37% of the ingest handler's CPU (bench/ingest.py, AWS path),
    and AWS validates the same request again on its side. What it would catch, the test suite
    catches first: every call our code makes in the tests is checked against the full service model
    (required and unknown members, types, lengths, patterns; tests/boto3_calls.py).
    """
    return Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        tcp_keepalive=True,
        parameter_validation=validate_parameters,
    )


def new_client(service: str, config: Config) -> Any:
    import boto3  # noqa: TID251 - this package is where boto3 belongs

    return boto3.client(service, config=config)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: throttling, a 5xx, a timeout or a dropped connection.

    Everything else (missing resource, validation, access denied, no credentials) is a
    misconfiguration or a bug and must surface loudly.
    """
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return error_code(exc) in TRANSIENT_CODES or status >= 500
    return isinstance(exc, (BotoConnectionError, HTTPClientError))
