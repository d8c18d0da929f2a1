"""Every boto3 operation our adapters call is exercised by a test and conforms to AWS's model.

The operations are found in the code (each module's ``new_client("<service>")`` and its client's
method calls and paginators). The adapter tests are then run with tests/boto3_calls.py recording:
each call goes through a real botocore client (its own validation of names, required members and
types; moto or a Stubber answers instead of AWS) and through the model's maximum lengths, patterns
and enums. Every operation found in the code must have been called, and no call may have broken
the model.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from botocore import xform_name
from botocore_limits import service_model
from template_testkit import ROOT

# The tests that drive the AWS adapters (moto and Stubber), and the handlers' aws-backend tests.
# (tests/adapters was split into the slices' folders on main: each slice's AWS adapter tests.)
DRIVERS = [
    "tests/activation/test_aws_activation.py",
    "tests/activation/test_aws_s3_text.py",
    "tests/core/test_aws_clients.py",
    "tests/core/test_aws_s3.py",
    "tests/influencers/test_influencers_aws.py",
    "tests/ingest/test_aws_dynamodb.py",
    "tests/ingest/test_aws_dynamodb_snapshot.py",
    "tests/ingest/test_aws_firehose.py",
    "tests/insights/test_aws_insights_adapters.py",
    "tests/recommend/test_aws_recommend.py",
    "tests/models/test_models_aws.py",
    "tests/models/test_models_deploy_aws.py",
    "tests/api/test_explorer_web_function.py",
]

# Operations the adapters call that no driver above calls yet. Empty: the cloud model deployment
# (src/audience/models/adapters/aws/deploy.py) has its Stubber driver in
# tests/models/test_models_deploy_aws.py. A new entry needs a driver soon; keep this short.
UNEXERCISED_PENDING: frozenset[tuple[str, str]] = frozenset()


def adapter_operations() -> set[tuple[str, str]]:
    """(botocore service, API operation) of every client call in the AWS adapters."""
    found: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "src" / "audience").rglob("*.py")):
        if "aws" not in path.parts and path.name != "cognito.py":
            continue
        tree = ast.parse(path.read_text())
        services = {
            node.args[0].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith("new_client")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        }
        if not services:
            continue
        (service,) = services  # one service per adapter module
        names = {xform_name(op): op for op in service_model(service).operation_names}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in names:
                found.add((service, names[func.attr]))
            if isinstance(func, ast.Attribute) and func.attr == "get_paginator":
                assert isinstance(node.args[0], ast.Constant)
                found.add((service, names[str(node.args[0].value)]))
    return found


def test_every_adapter_operation_is_exercised_and_within_the_model(tmp_path: Path) -> None:
    # GIVEN the operations the adapters call
    expected = adapter_operations()
    assert len(expected) >= 20
    record = tmp_path / "calls.txt"
    # WHEN the adapter tests run with every boto3 call recorded and checked
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *DRIVERS],
        cwd=ROOT,
        env={**os.environ, "AUDIENCE_BOTO3_RECORD": str(record)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    calls = [line.split() for line in record.read_text().splitlines()]
    seen = {(s, op) for s, op, _ in calls}
    # THEN every operation was called at least once, and no call broke the model
    assert sorted(expected - seen - UNEXERCISED_PENDING) == [], sorted(expected - seen)
    # AND the pending list below is still true (an operation a driver now calls is taken off it)
    assert sorted(UNEXERCISED_PENDING & seen) == []
    assert [c for c in calls if c[2] != "0"] == []
