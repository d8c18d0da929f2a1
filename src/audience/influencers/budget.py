"""One answer to ``POST /api/influencers/allocate``, shared by the web page (Flask) and the allocator's
own Lambda function.

The allocator needs scipy (HiGHS), which does not fit in the web function's package beside pyarrow
(330 MB unzipped against Lambda's 250 MB), so in AWS the route is served by a function of its own
(``InfluencerAllocateFunction`` in ``stacks/web.yaml``); locally the web app serves it. Both call
:func:`answer`, so the checks, the reasons and the body are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_BUDGET = 1e9
NO_RUN = "no scoring run yet: run `make influencers` (or the demo)"


class AllocationInputError(ValueError):
    """Bad allocator input before the allocator runs."""


def split_list(value: Any) -> tuple[str, ...]:
    """Countries or topics: comma-separated text or a list of strings."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise AllocationInputError("countries and topics are comma-separated text or a list of strings")


def minimums(value: Any) -> dict[str, float]:
    """Per-country minimum spend: ``"NZ:50,AU:100"`` or ``{"NZ": 50}``."""
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, str):
        items = []
        for part in value.split(","):
            if not part.strip():
                continue
            country, sep, amount = part.partition(":")
            if not sep:
                raise AllocationInputError(f"minimum {part.strip()!r} must look like NZ:50")
            items.append((country, amount))
    else:
        raise AllocationInputError("minimums must be like 'NZ:50,AU:100'")
    out: dict[str, float] = {}
    for country, amount in items:
        try:
            out[str(country).strip().upper()] = float(amount)
        except (TypeError, ValueError):
            raise AllocationInputError(f"minimum for {country} is not a number: {amount!r}") from None
    return out


def answer(body: Any, latest: Mapping[str, Any] | None) -> tuple[int, dict[str, Any]]:
    """``(status, JSON body)`` for an allocation request against the latest scoring run.

    400 with a reason for input a caller can fix (or constraints nothing satisfies), 503 when there is
    no run yet or the allocator is not installed here; 200 with the summary and the rows otherwise.
    """
    if not isinstance(body, dict):
        return 400, {"error": "the body must be a JSON object (Content-Type: application/json)"}
    try:
        # scipy (HiGHS) is imported on first use: the page and the run API work without it.
        from audience.influencers.allocation import (
            AllocationError,
            AllocationRequest,
            allocate,
            candidates_from_run,
            parse_rate_card,
            parse_tiers,
        )
    except ImportError as exc:
        return 503, {"error": f"the allocator is not installed here ({exc.name})"}
    if latest is None:
        return 503, {"error": NO_RUN}
    try:
        budget = body.get("budget")
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget <= MAX_BUDGET:
            raise AllocationInputError(f"budget must be a number between 0 and {MAX_BUDGET:g}")
        rate_card = parse_rate_card(body["rate_card"]) if body.get("rate_card") else None
        tiers = parse_tiers(body["tiers"]) if body.get("tiers") else None
        req = AllocationRequest(
            budget=float(budget),
            countries=split_list(body.get("countries")),
            topics=split_list(body.get("topics")),
            country_minimums=minimums(body.get("minimums")),
            include_flagged=bool(body.get("include_flagged", False)),
        )
        result = (
            allocate(candidates_from_run(latest), req, cost_of=rate_card, tiers=tiers)
            if tiers
            else allocate(candidates_from_run(latest), req, cost_of=rate_card)
        )
    except (AllocationError, AllocationInputError) as exc:
        return 400, {"error": str(exc)}
    return 200, {"run_id": latest["run_id"], "request": body, **result.summary(), "rows": result.rows}
