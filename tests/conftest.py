"""Shared by every test folder: tests/builders.py on sys.path, and how the suite splits under xdist.

`make test` runs ``pytest -n 2 --dist loadgroup``. Every test is grouped with the rest of its module,
so module- and session-scoped fixtures (a ``sam build``, a trained model, a prepared lake) are built
once, on one worker. Everything that starts a JVM (tests/features: the Glue scripts on local Spark,
and any test taking the ``spark`` fixture) is one group,
so one worker holds one Spark session rather than two competing for the two cores and the memory;
the suites that start real servers and Chromium (api, ui, any module using tests/servers.Server)
are another.
Tests never share a port (each server takes a free one) or an AUDIENCE_HOME (each takes a tmp dir).
"""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/builders.py (and the other shared kits here) are shared by every test folder.
sys.path.insert(0, str(Path(__file__).parent))

import boto3_calls

# The AWS adapter tests of every slice share the moto fixtures (and fake credentials in every test).
from aws_fixtures import aws, aws_env, dynamodb, firehose, s3

__all__ = ["aws", "aws_env", "dynamodb", "firehose", "s3"]

boto3_calls.install()


@pytest.fixture(autouse=True)
def _boto3_calls_within_aws_limits() -> Iterator[None]:
    """Fails a test whose code sent a boto3 request AWS would refuse (tests/boto3_calls.py)."""
    boto3_calls.VIOLATIONS.clear()
    yield
    found = list(boto3_calls.VIOLATIONS)
    boto3_calls.VIOLATIONS.clear()
    assert found == [], found


# Folders whose tests start local Spark (the Glue scripts): one xdist group, run by one worker; so is
# any other test that takes the ``spark`` fixture. Folders whose tests start real servers (and
# Chromium): another group, so two servers never compete to start; so is any other test module that
# starts a ``tests/servers.Server``.
_SPARK = ("features",)
_SERVERS = ("api", "ui")


def _group(item: pytest.Item, parts: tuple[str, ...]) -> str:
    if (parts and parts[0] in _SPARK) or "spark" in getattr(item, "fixturenames", ()):
        return "spark"
    module = getattr(item, "module", None)
    if (parts and parts[0] in _SERVERS) or getattr(module, "Server", None) is not None:
        return "servers"
    return "/".join(parts)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        path = Path(str(item.fspath)).resolve()
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            continue
        group = _group(item, parts)
        item.add_marker(pytest.mark.xdist_group(group))
        if group == "spark":
            item.add_marker(pytest.mark.slow)
