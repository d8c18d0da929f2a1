"""The budget allocator's own Lambda handler (``POST /api/influencers/allocate`` in AWS) answers like
the web app's route: the same checks, reasons and body, from the same latest scoring run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from audience.influencers.budget import NO_RUN, answer
from audience.influencers.settings import InfluencerAllocateSettings
from devhost.apigw import LocalContext, proxy_event
from functions.influencer_allocate.app import handler


def _run() -> dict[str, Any]:
    """Three candidates: two reach overlapping audiences, one is flagged."""
    return {
        "run_id": "run-1",
        "candidates": [
            {"author_id": "a", "followers": 100, "country": "NZ", "audience": [["x", "NZ"], ["y", "NZ"]], "hashtags": ["rugby"]},
            {"author_id": "b", "followers": 5_000, "country": "AU", "audience": [["x", "AU"]], "hashtags": []},
            {"author_id": "c", "followers": 50, "country": "NZ", "audience": [["z", "NZ"]], "hashtags": [], "flagged": True},
        ],
    }  # fmt: skip


class MemoryStore:
    def __init__(self, run: dict[str, Any] | None) -> None:
        self.run = run

    def save_run(self, run: dict[str, Any]) -> None:
        self.run = run

    def latest_run(self) -> dict[str, Any] | None:
        return self.run


def _post(
    body: bytes, store: MemoryStore, path: str = "/api/influencers/allocate"
) -> tuple[int, dict[str, Any]]:
    event = proxy_event(method="POST", path=path, headers={"content-type": "application/json"}, query={}, body=body, source_ip="127.0.0.1", stage="test")  # fmt: skip
    result = handler(event, LocalContext(aws_request_id="req"), ports=store)  # type: ignore[arg-type]
    return int(result["statusCode"]), json.loads(result["body"])


def test_allocates_from_the_latest_run_like_the_web_route() -> None:
    # GIVEN a scoring run and a rate card
    store = MemoryStore(_run())
    request = {"budget": 100, "rate_card": "author_id,cost\na,60\nb,60\nc,10\n"}
    # WHEN the handler allocates
    status, body = _post(json.dumps(request).encode(), store)
    # THEN it answers 200 with the same body as the shared answer(), and never sponsors the flagged account
    assert status == 200
    expected = answer(request, _run())[1]
    assert {k: v for k, v in body.items() if k != "seconds"} == {
        k: v for k, v in expected.items() if k != "seconds"
    }
    assert body["run_id"] == "run-1"
    assert [row["author_id"] for row in body["rows"]] and "c" not in {
        row["author_id"] for row in body["rows"]
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "must be a JSON object"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"budget": -5}', "budget must be a number"),
        (b'{"budget": true}', "budget must be a number"),
        (b'{"budget": 10, "minimums": "NZ"}', "must look like NZ:50"),
        (b'{"budget": 10, "countries": 7}', "comma-separated"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(body: bytes, reason: str) -> None:
    # GIVEN a run WHEN a bad request comes THEN a JSON 400 says what to fix
    status, answer_body = _post(body, MemoryStore(_run()))
    assert status == 400 and reason in answer_body["error"]


def test_no_run_yet_is_a_503_and_a_failing_store_too() -> None:
    # GIVEN no run yet
    status, body = _post(b'{"budget": 10}', MemoryStore(None))
    # THEN 503 with the reason
    assert (status, body["error"]) == (503, NO_RUN)

    # GIVEN a store that cannot be read
    class Broken(MemoryStore):
        def latest_run(self) -> dict[str, Any] | None:
            raise OSError("throttled")

    status, body = _post(b'{"budget": 10}', Broken(None))
    # THEN a JSON 503, not an unexplained 5xx
    assert status == 503 and "OSError" in body["error"]


def test_other_paths_are_a_json_404() -> None:
    status, body = _post(b"{}", MemoryStore(_run()), path="/api/influencers/other")
    assert status == 404 and body["error"] == "not_found" and "no route" in body["message"]


def test_settings_need_the_table_in_aws() -> None:
    # GIVEN the aws backend without the serving table THEN the cold start fails naming the setting
    with pytest.raises(ValueError, match="AUDIENCE_INFLUENCERS_TABLE"):
        InfluencerAllocateSettings(backend="aws", influencers_table=None)
    assert InfluencerAllocateSettings(backend="aws", influencers_table="t").influencers_table == "t"
