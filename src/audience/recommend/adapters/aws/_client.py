"""boto3 clients for the slice's adapters: standard retries, short timeouts (the serving function
answers API Gateway within 29 s, so a black-holed dependency must cost seconds)."""

from __future__ import annotations

from typing import Any

import boto3  # noqa: TID251 - the slice's one client factory (adapters/aws)
from botocore.config import Config


def make_client(service: str, *, read_timeout: float = 3.0) -> Any:
    return boto3.client(
        service,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 3},
            connect_timeout=1.0,
            read_timeout=read_timeout,
            user_agent_extra="audience-recommend",
        ),
    )
