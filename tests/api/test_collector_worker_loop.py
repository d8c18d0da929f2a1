"""The collector's worker loop waits in select() instead of spinning."""

from __future__ import annotations

from waitress.adjustments import Adjustments

from devhost.worker import LOOP_TIMEOUT_SECONDS


def test_worker_loop_timeout_survives_waitress_integer_conversion() -> None:
    # GIVEN the loop timeout the worker hands to waitress
    # WHEN waitress converts it, as it does every adjustment
    adjusted = Adjustments(asyncore_loop_timeout=LOOP_TIMEOUT_SECONDS).asyncore_loop_timeout
    # THEN select() still waits: a timeout of 0 makes the loop spin, a core busy even when idle
    assert adjusted == LOOP_TIMEOUT_SECONDS
    assert adjusted >= 1
    # AND a sub-second value would not have survived (the bug this guards against)
    assert Adjustments(asyncore_loop_timeout=0.1).asyncore_loop_timeout == 0
