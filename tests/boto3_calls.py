"""Every boto3 call our code makes during the tests, checked against the service model's limits.

botocore validates a request's names, required members and types before sending (whether a moto
mock or a Stubber answers it), but not maximum lengths, patterns or enums, which AWS checks. The
wrapper installed by tests/conftest.py records each call made from our packages (src/audience,
functions) with the operation's name and checks its parameters with
:func:`botocore_limits.input_violations`; a test whose code sent something AWS would refuse fails.
``AUDIENCE_BOTO3_RECORD=<file>`` also appends each (service, operation) to that file, which the
conformance suite uses to prove every operation the adapters call was exercised.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.client import BaseClient

ROOT = Path(__file__).parents[1]
OURS = (str(ROOT / "src" / "audience"), str(ROOT / "functions"))
VIOLATIONS: list[str] = []
_original: Callable[..., Any] = BaseClient._make_api_call


def _from_our_code() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(OURS):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _checked_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    if _from_our_code():
        from botocore_limits import violations

        model = self.meta.service_model
        service = model.service_name
        found = violations(model.operation_model(operation_name).input_shape, api_params)
        VIOLATIONS.extend(f"{service}.{operation_name}: {v}" for v in found)
        record = os.environ.get("AUDIENCE_BOTO3_RECORD")
        if record:
            with open(record, "a") as f:
                f.write(f"{service} {operation_name} {len(found)}\n")
    return _original(self, operation_name, api_params)


def install() -> None:
    BaseClient._make_api_call = _checked_call  # type: ignore[method-assign]
