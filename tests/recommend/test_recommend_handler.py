"""The serving handler in-process with fake ports: a failing store is a 503 with the reason, never
an unexplained 5xx; a configured campaign serves the personalize arm live."""

from __future__ import annotations

import json
from typing import Any

from audience.recommend.ports import ServedList, StoredList
from audience.recommend.settings import RecommendSettings
from devhost.apigw import LocalContext, proxy_event
from functions.recommendations.app import Ports, handler


class BrokenTable:
    def get_list(self, user_id: str, variant: str) -> StoredList | None:
        raise OSError("disk I/O error")


class OneTable:
    def get_list(self, user_id: str, variant: str) -> StoredList | None:
        return StoredList(user_id, variant, ["t1", "t2"], [2.0, 1.0], "local", "2026-11-30T00:00:00Z")


class Log:
    def __init__(self) -> None:
        self.served: list[ServedList] = []

    def record(self, served: ServedList) -> None:
        self.served.append(served)


class Campaign:
    def recommend(self, user_id: str, num_results: int) -> tuple[list[str], list[float]]:
        return [f"live{k}" for k in range(num_results)], [1.0] * num_results


def _get(path: str, ports: Ports) -> tuple[int, dict[str, Any]]:
    event = proxy_event(method="GET", path=path.split("?")[0], headers={}, query={k: [v] for k, v in (p.split("=") for p in path.split("?")[1].split("&"))} if "?" in path else {}, body=b"", source_ip="127.0.0.1", stage="test")  # fmt: skip
    result = handler(event, LocalContext(aws_request_id="req"), ports=ports)
    return int(result["statusCode"]), json.loads(result["body"])


def test_a_failing_store_is_a_503_with_the_reason() -> None:
    # GIVEN a table that cannot be read
    ports = Ports(RecommendSettings(backend="local"), BrokenTable(), Log(), None)  # type: ignore[arg-type]
    # WHEN a list is asked for
    status, body = _get("/recommendations/u-1", ports)
    # THEN the answer is a JSON 503 that says so
    assert status == 503 and body["error"] == "unavailable" and "OSError" in body["message"]


def test_a_configured_campaign_serves_the_personalize_arm_live_and_the_list_is_logged() -> None:
    # GIVEN a campaign for the personalize arm
    log = Log()
    ports = Ports(RecommendSettings(backend="local"), OneTable(), log, Campaign())  # type: ignore[arg-type]
    # WHEN both arms are asked for
    _, live = _get("/recommendations/u-1?variant=personalize&num_results=3", ports)
    _, table = _get("/recommendations/u-1?variant=baseline&num_results=3", ports)
    # THEN personalize comes from the campaign, baseline from the table, and both were logged
    assert live["source"] == "campaign" and [i["item_id"] for i in live["items"]] == [
        "live0",
        "live1",
        "live2",
    ]
    assert table["source"] == "table" and [i["item_id"] for i in table["items"]] == ["t1", "t2"]
    assert [s.recommendation_id for s in log.served] == [
        live["recommendation_id"],
        table["recommendation_id"],
    ]


class Lake:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def get_object(self, key: str) -> bytes:
        if key not in self.objects:
            raise FileNotFoundError(key)
        return self.objects[key]


def test_page_report_in_aws_reads_the_online_workflows_ab_from_the_lake() -> None:
    from audience.recommend.report import AB_KEY, load_page_report

    settings = RecommendSettings(backend="aws")
    # GIVEN no report in the lake, then the daily A/B's latest.json
    # THEN nothing to show at first, then the A/B with an empty offline part
    assert load_page_report(settings, Lake({})) is None
    page = load_page_report(
        settings, Lake({AB_KEY: json.dumps({"lists": 3, "baseline": {"ctr": 0.5}}).encode()})
    )
    assert page is not None and page["ab"]["baseline"]["ctr"] == 0.5 and page["offline"] == {}
