"""GET /recommendations/{user_id} over real HTTP on the local server (the Lambda handler behind it):
stable arms, the variant override, cold-start users, 4xx with reasons, and the served-lists log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from servers import API_KEY, Server, free_port

from audience.recommend.adapters.local.sqlite_table import SqliteRecommendationTable
from audience.recommend.ports import StoredList
from audience.recommend.serving import assign_arm

pytestmark = pytest.mark.slow
GENERATED = "2026-11-20T00:00:00Z"
IDS_AS_USERS_HAVE_THEM = (
    "jane.doe+news@example.com",
    "Episode 12 \u2013 Finale",
    "c1'; DROP TABLE events;--",
)
"""User ids the event contract accepts (1.1): the serving API must accept them too."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("recs")
    table = SqliteRecommendationTable(home / "state" / "recommendations.db")
    lists = []
    for n in range(40):
        user = f"u-{n:03d}"
        lists.append(
            StoredList(
                user,
                "baseline",
                [f"b{k}" for k in range(30)],
                [1.0 - k / 100 for k in range(30)],
                "local-baseline",
                GENERATED,
            )
        )
        lists.append(
            StoredList(
                user,
                "personalize",
                [f"p{k}" for k in range(30)],
                [0.5 - k / 100 for k in range(30)],
                "local-personalize",
                GENERATED,
            )
        )
    for user in IDS_AS_USERS_HAVE_THEM:
        lists.append(StoredList(user, "baseline", ["b0", "b1"], [1.0, 0.9], "local-baseline", GENERATED))
    pop = ["top1", "top2", "top3"]
    lists.append(
        StoredList("newbie", "baseline", pop, [3.0, 2.0, 1.0], "local-baseline-popular", GENERATED, True)
    )
    lists.append(
        StoredList("newbie", "personalize", pop, [3.0, 2.0, 1.0], "local-baseline-popular", GENERATED, True)
    )
    table.put_lists(lists, ttl_seconds=86_400)
    srv = Server(home=home, port=free_port(), env={"AUDIENCE_RECOMMENDATION_EXPERIMENT": "exp-test"})
    srv.start()
    yield srv
    if srv.proc and srv.proc.poll() is None:
        srv.stop()


def get(server: Server, path: str, key: str | None = API_KEY) -> httpx.Response:
    headers = {"x-api-key": key} if key else {}
    return httpx.get(f"{server.url}{path}", headers=headers, timeout=10)


def test_arm_assignment_is_stable_and_both_arms_are_used(server: Server) -> None:
    # GIVEN 40 known users
    # WHEN each asks three times without a variant
    arms = {}
    for n in range(40):
        user = f"u-{n:03d}"
        answers = [get(server, f"/recommendations/{user}").json() for _ in range(3)]
        # THEN the arm never changes, matches the stable hash, and every answer has a new id
        assert len({a["variant"] for a in answers}) == 1
        assert len({a["recommendation_id"] for a in answers}) == 3
        arms[user] = answers[0]["variant"]
        assert arms[user] == assign_arm(user, {"baseline": 50, "personalize": 50}, "exp-test")
        assert answers[0]["items"][0]["item_id"] == ("b0" if arms[user] == "baseline" else "p0")
    assert set(arms.values()) == {"baseline", "personalize"}


def test_variant_and_num_results_are_honoured(server: Server) -> None:
    # GIVEN a known user
    # WHEN the personalize list is asked for explicitly, 5 items
    r = get(server, "/recommendations/u-001?variant=personalize&num_results=5")
    # THEN it is that list, cut to 5, with the variant and an id
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["variant"] == "personalize" and body["assigned"] is False and body["cold_start"] is False
    assert [i["item_id"] for i in body["items"]] == ["p0", "p1", "p2", "p3", "p4"]
    assert len(body["recommendation_id"]) == 36


def test_cold_start_user_gets_the_baseline_popular_items_flagged(server: Server) -> None:
    # GIVEN a user known to the table but without interactions
    # WHEN either arm is asked
    for variant in ("baseline", "personalize"):
        body = get(server, f"/recommendations/newbie?variant={variant}").json()
        # THEN the baseline's popular items come back, flagged as a cold start
        assert body["cold_start"] is True
        assert [i["item_id"] for i in body["items"]] == ["top1", "top2", "top3"]


@pytest.mark.parametrize(
    ("path", "status", "fields"),
    [
        ("/recommendations/stranger", 404, []),
        ("/recommendations/u-001?num_results=0", 400, ["num_results"]),
        ("/recommendations/u-001?num_results=ten", 400, ["num_results"]),
        ("/recommendations/u-001?num_results=101", 400, ["num_results"]),
        ("/recommendations/u-001?variant=random", 400, ["variant"]),
        ("/recommendations/u-001?limit=5", 400, ["limit"]),
        ("/recommendations/bad%07id", 400, ["user_id"]),
        ("/recommendations/" + "x" * 257, 400, ["user_id"]),
    ],
)
def test_bad_input_gets_a_4xx_with_reasons(server: Server, path: str, status: int, fields: list[str]) -> None:
    # GIVEN a bad request
    # WHEN it is sent
    r = get(server, path)
    # THEN it is a JSON 4xx naming each bad field
    assert r.status_code == status, r.text
    body = r.json()
    assert body["message"]
    assert [reason["field"] for reason in body.get("reasons", [])] == fields


@pytest.mark.parametrize("user_id", IDS_AS_USERS_HAVE_THEM)
def test_ids_as_users_have_them_are_served_verbatim(server: Server, user_id: str) -> None:
    # GIVEN a list stored for an id with '+', spaces and a dash, or SQL-looking text
    # WHEN it is asked for by that id (percent-encoded in the path, as a client sends it)
    r = get(server, "/recommendations/" + quote(user_id, safe="") + "?variant=baseline")
    # THEN the list comes back, naming the user exactly
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == user_id and [i["item_id"] for i in body["items"]] == ["b0", "b1"]


def test_api_key_is_required(server: Server) -> None:
    # GIVEN no API key
    # WHEN a list is asked for
    # THEN the gateway's 403 answers
    assert get(server, "/recommendations/u-001", key=None).status_code == 403


def test_every_answer_is_logged_to_the_lake_for_the_online_comparison(server: Server) -> None:
    # GIVEN one more served list
    rid = get(server, "/recommendations/u-002?variant=baseline&num_results=3").json()["recommendation_id"]
    # WHEN the served-lists log is read
    lines = [
        json.loads(line)
        for f in (server.home / "lake" / "recommendations-served").rglob("*.jsonl")
        for line in f.read_text().splitlines()
    ]
    # THEN the answer is there with its items and variant
    [served] = [line for line in lines if line["recommendation_id"] == rid]
    assert (
        served["items"] == ["b0", "b1", "b2"]
        and served["variant"] == "baseline"
        and served["user_id"] == "u-002"
    )
