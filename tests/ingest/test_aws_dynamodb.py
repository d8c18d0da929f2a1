"""DynamoCounterStore against moto (exactly-once counting, packing, reads) and Stubber (failures)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from aws_testkit import TABLE, client, lake_record
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore
from audience.ingest.adapters.aws.dynamodb_items import CounterWriteError
from audience.ingest.adapters.aws.dynamodb_transactions import MAX_TRANSACTION_ACTIONS, plan_transactions
from audience.ingest.counters import aggregate
from audience.ingest.ports import CounterStore

T0 = 1_790_000_000.0  # a fixed "now" in epoch seconds
TTL = 8 * 86_400


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def store(dynamodb: Any, clock: Clock | None = None, **kwargs: Any) -> DynamoCounterStore:
    return DynamoCounterStore(
        TABLE, dedup_ttl_seconds=TTL, client=dynamodb, clock=clock or Clock(), sleep=lambda _: None, **kwargs
    )


def transactions(dynamodb: Any) -> list[list[dict[str, Any]]]:
    """Spy on the TransactItems of every TransactWriteItems the client sends (botocore's event hooks)."""
    calls: list[list[dict[str, Any]]] = []

    def spy(params: dict[str, Any], **_: Any) -> None:
        calls.append(params["TransactItems"])

    dynamodb.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", spy)
    return calls


def updated_keys(call: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(a["Update"]["Key"]["pk"]["S"], a["Update"]["Key"]["sk"]["S"]) for a in call if "Update" in a]


def batch_of_five() -> list[Any]:
    return [
        lake_record("1", content_id="c1", event_type="view", at="2026-11-21T10:15:00Z", seconds=30),
        lake_record("2", content_id="c1", event_type="view", at="2026-11-21T10:45:00Z", seconds=12.5),
        lake_record("3", content_id="c1", event_type="like", at="2026-11-21T11:05:00Z"),
        lake_record("4", content_id="c2", event_type="skip", at="2026-11-21T10:00:00Z", seconds=2),
        lake_record("5", content_id="c1", event_type="complete", at="2026-11-21T11:59:59Z", seconds=100),
    ]


ZERO = {"view": 0, "like": 0, "share": 0, "comment": 0, "complete": 0, "skip": 0}


# --- counting ------------------------------------------------------------------------------------


def test_aws_dynamodb_counts_a_batch_as_hand_computed(dynamodb: Any) -> None:
    # GIVEN a store and five events on two contents across two hours
    counters = store(dynamodb)
    assert isinstance(counters, CounterStore)
    # WHEN they are applied
    counted = counters.apply(batch_of_five())
    # THEN all are counted, and totals and hours hold the sums worked out by hand
    assert counted == {"1", "2", "3", "4", "5"}
    c1 = counters.content("c1")
    assert c1 is not None
    assert c1.counts == {**ZERO, "view": 2, "like": 1, "complete": 1}
    assert c1.events == 4
    assert c1.view_seconds == pytest.approx(142.5)
    c2 = counters.content("c2")
    assert c2 is not None and c2.counts == {**ZERO, "skip": 1} and c2.view_seconds == pytest.approx(2)
    hours = counters.hourly("c1", "2026-11-21T10", "2026-11-21T11")
    assert [
        (h.hour, h.counts["view"], h.counts["like"], h.counts["complete"], h.view_seconds) for h in hours
    ] == [
        ("2026-11-21T10", 2, 0, 0, 42.5),
        ("2026-11-21T11", 0, 1, 1, 100.0),
    ]
    assert counters.content("c-unknown") is None


def test_aws_dynamodb_items_follow_the_single_table_layout(dynamodb: Any) -> None:
    # GIVEN a store keeping hourly buckets for 30 days
    counters = store(dynamodb, hourly_ttl_seconds=30 * 86_400)
    # WHEN one event is applied
    counters.apply([lake_record("e1", content_id="c1", at="2026-11-21T10:15:00Z", seconds=1.23456)])

    # THEN the dedup item expires after the TTL, the hour carries its own expiry, the total none
    def get(pk: str, sk: str) -> dict[str, Any]:
        item: dict[str, Any] = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}})[
            "Item"
        ]
        return item

    assert get("EVENT#e1", "EVENT")["expires_at"] == {"N": str(int(T0) + TTL)}
    hour = get("CONTENT#c1", "HOUR#2026-11-21T10")
    assert hour["expires_at"] == {"N": str(1_795_255_200 + 30 * 86_400)}  # 2026-11-21T10:00Z + 30 days
    total = get("CONTENT#c1", "TOTAL")
    assert "expires_at" not in total
    assert total["view"] == {"N": "1"} and total["events"] == {"N": "1"} and total["skip"] == {"N": "0"}
    assert total["view_seconds"] == {"N": "1.235"}  # kept to the millisecond
    assert float(total["updated_at"]["N"]) == T0


def test_aws_dynamodb_retry_of_same_records_counts_nothing(dynamodb: Any) -> None:
    # GIVEN a batch already counted
    counters = store(dynamodb)
    counters.apply(batch_of_five())
    # WHEN the same records are applied again (a client retry)
    counted = counters.apply(batch_of_five())
    # THEN nothing is counted and the counters did not move
    assert counted == set()
    c1 = counters.content("c1")
    assert c1 is not None and c1.events == 4 and c1.view_seconds == pytest.approx(142.5)


def test_aws_dynamodb_mixed_batch_counts_only_new_half(dynamodb: Any) -> None:
    # GIVEN ten views of which the first five were counted before
    counters = store(dynamodb)
    records = [lake_record(f"e{i}", content_id="c1", seconds=10) for i in range(10)]
    assert counters.apply(records[:5]) == {f"e{i}" for i in range(5)}
    # WHEN all ten arrive
    counted = counters.apply(records)
    # THEN only the new five are counted, once
    assert counted == {f"e{i}" for i in range(5, 10)}
    c1 = counters.content("c1")
    assert c1 is not None and c1.counts["view"] == 10 and c1.view_seconds == pytest.approx(100)


def test_aws_dynamodb_duplicates_within_a_call_count_once(dynamodb: Any) -> None:
    # GIVEN a call carrying the same event id three times
    counters = store(dynamodb)
    records = [lake_record("dup", content_id="c1"), lake_record("dup", content_id="c1"), lake_record("x")]
    # WHEN applied
    counted = counters.apply(records)
    # THEN the id is counted once
    assert counted == {"dup", "x"}
    c1 = counters.content("c1")
    assert c1 is not None and c1.events == 1


def test_aws_dynamodb_one_update_per_content_and_bucket_per_request(dynamodb: Any) -> None:
    # GIVEN 60 events over three contents and two hours each
    counters = store(dynamodb)
    calls = transactions(dynamodb)
    records = [
        lake_record(
            f"e{i}",
            content_id=f"c{i % 3}",
            event_type=("view", "like")[i % 2],
            at=f"2026-11-21T1{i % 2}:30:00Z",
        )
        for i in range(60)
    ]
    # WHEN they are applied
    counters.apply(records)
    # THEN one transaction carried 60 claims and exactly one update per (content, bucket)
    assert len(calls) == 1
    keys = updated_keys(calls[0])
    assert Counter(keys).most_common(1)[0][1] == 1
    assert sorted(keys) == sorted((f"CONTENT#{k.content_id}", k.bucket) for k in aggregate(records))
    assert sum("Put" in a for a in calls[0]) == 60


def test_aws_dynamodb_groups_are_packed_whole_into_transactions(dynamodb: Any) -> None:
    # GIVEN ten contents with 30 events each in one hour (32 actions per content group)
    counters = store(dynamodb)
    calls = transactions(dynamodb)
    records = [lake_record(f"c{c}-e{i}", content_id=f"c{c}") for c in range(10) for i in range(30)]
    # WHEN they are applied
    counted = counters.apply(records)
    # THEN three groups fit in a transaction (96 actions), no group is split, no update repeats
    assert [len(c) for c in calls] == [96, 96, 96, 32]
    all_keys = [k for c in calls for k in updated_keys(c)]
    assert len(all_keys) == len(set(all_keys)) == 20
    assert len(counted) == 300
    assert all(row.events == 30 for row in counters.top_content(limit=20))


def test_aws_dynamodb_oversized_group_is_split_and_still_correct(dynamodb: Any) -> None:
    # GIVEN 250 events on one content across three hours (more than 100 actions)
    counters = store(dynamodb)
    calls = transactions(dynamodb)
    records = [
        lake_record(f"e{i:03d}", content_id="hot", at=f"2026-11-21T0{i % 3}:00:00Z", seconds=0.5)
        for i in range(250)
    ]
    # WHEN they are applied
    counted = counters.apply(records)
    # THEN no transaction exceeds 100 actions or touches an item twice, and the sums are right
    assert len(calls) >= 3
    assert all(len(c) <= MAX_TRANSACTION_ACTIONS for c in calls)
    assert all(len(updated_keys(c)) == len(set(updated_keys(c))) for c in calls)
    assert len(counted) == 250
    hot = counters.content("hot")
    assert hot is not None and hot.counts["view"] == 250 and hot.view_seconds == pytest.approx(125)
    hours = counters.hourly("hot", "2026-11-21T00", "2026-11-21T02")
    assert [h.counts["view"] for h in hours] == [84, 83, 83]


def test_aws_dynamodb_plan_never_exceeds_transaction_limits() -> None:
    # GIVEN a mix of a hot content spread over many hours and many small contents
    records = [
        lake_record(f"h{i}", content_id="hot", at=f"2026-11-2{i % 2}T{i % 24:02d}:00:00Z") for i in range(300)
    ]
    records += [lake_record(f"s{i}", content_id=f"s{i % 40}") for i in range(200)]
    # WHEN planned
    plan = plan_transactions(records)
    # THEN every record is placed once, every transaction is within 100 actions with distinct items
    assert sorted(r.event_id for t in plan for r in t) == sorted(r.event_id for r in records)
    for transaction in plan:
        keys = list(aggregate(transaction))
        assert len(transaction) + len(keys) <= MAX_TRANSACTION_ACTIONS


class SerializedClient:
    """Runs one request at a time against moto.

    moto's TransactWriteItems is not isolated: it deep-copies the whole table to roll back, so
    concurrent transactions corrupt each other (``dictionary changed size during iteration``, lost
    writes). DynamoDB itself serialises transactions, so serialising the requests models the
    service; the adapter's own code (planning, claiming, retrying) still runs in parallel.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return call


def test_aws_dynamodb_concurrent_overlapping_batches_count_each_id_once(dynamodb: Any) -> None:
    # GIVEN 8 threads applying overlapping windows of 60 ids (each id in up to three) on two contents
    counters = store(SerializedClient(dynamodb))
    calls = transactions(dynamodb)
    start_together = threading.Barrier(8)
    ids = [f"e{i:04d}" for i in range(200)]
    records = {i: lake_record(i, content_id=f"c{n % 2}", seconds=1) for n, i in enumerate(ids)}
    results: list[set[str]] = []
    errors: list[BaseException] = []

    def worker(start: int) -> None:
        start_together.wait()
        try:
            results.append(counters.apply([records[i] for i in ids[start : start + 60]]))
        except BaseException as exc:
            errors.append(exc)

    starts = range(0, 160, 20)
    planned = sum(len(plan_transactions([records[i] for i in ids[s : s + 60]])) for s in starts)
    threads = [threading.Thread(target=worker, args=(start,)) for start in starts]
    # WHEN they run at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # THEN every id was counted by exactly one call, and the counters equal the number of ids
    assert errors == []
    assert len(calls) > planned  # overlaps were found by cancelled claims and retried
    counted = [i for r in results for i in r]
    assert sorted(counted) == ids
    totals = [counters.content(c) for c in ("c0", "c1")]
    assert [t.events if t else 0 for t in totals] == [100, 100]
    assert sum(t.view_seconds if t else 0 for t in totals) == pytest.approx(200)


def test_aws_dynamodb_expired_dedup_memory_counts_again(dynamodb: Any) -> None:
    # GIVEN an id counted, then its memory expired but not yet deleted by TTL (deletion is lazy)
    clock = Clock()
    counters = store(dynamodb, clock)
    counters.apply([lake_record("e1")])
    clock.now = T0 + TTL + 1
    # WHEN it is seen and applied again
    # THEN it is not known and counts again, as in the local store
    assert counters.known(["e1"]) == set()
    assert counters.apply([lake_record("e1")]) == {"e1"}
    c1 = counters.content("c-1")
    assert c1 is not None and c1.events == 2


# --- known ---------------------------------------------------------------------------------------


def test_aws_dynamodb_known_reports_seen_ids_across_batch_get_pages(dynamodb: Any) -> None:
    # GIVEN 150 ids counted (more than BatchGetItem's 100 keys per call)
    counters = store(dynamodb)
    counters.apply([lake_record(f"e{i:03d}", content_id=f"c{i % 7}") for i in range(150)])
    # WHEN asked about those, unseen ones and repeats
    asked = [f"e{i:03d}" for i in range(140, 160)] + ["e000", "e000", "e149"]
    # THEN exactly the seen ones are reported
    assert counters.known(asked) == {f"e{i:03d}" for i in range(140, 150)} | {"e000"}
    assert counters.known([]) == set()
    assert counters.known([f"e{i:03d}" for i in range(150)]) == {f"e{i:03d}" for i in range(150)}


def test_aws_dynamodb_known_retries_unprocessed_keys() -> None:
    # GIVEN a BatchGetItem that leaves one key unprocessed the first time
    dynamodb = client("dynamodb")
    key_b = {"pk": {"S": "EVENT#b"}, "sk": {"S": "EVENT"}}
    fresh = {"N": str(int(T0) + 10)}
    with Stubber(dynamodb) as stub:
        stub.add_response(
            "batch_get_item",
            {
                "Responses": {TABLE: [{"pk": {"S": "EVENT#a"}, "expires_at": fresh}]},
                "UnprocessedKeys": {TABLE: {"Keys": [key_b], "ConsistentRead": True}},
            },
        )
        stub.add_response(
            "batch_get_item",
            {"Responses": {TABLE: [{"pk": {"S": "EVENT#b"}, "expires_at": fresh}]}, "UnprocessedKeys": {}},
            {"RequestItems": {TABLE: {"Keys": [key_b], "ConsistentRead": True}}},
        )
        # WHEN known is asked
        found = store(dynamodb).known(["a", "b", "c"])
        stub.assert_no_pending_responses()
    # THEN the retried key is reported too
    assert found == {"a", "b"}


# --- transaction failures (Stubber) --------------------------------------------------------------


def cancelled(codes: list[str]) -> dict[str, Any]:
    return {
        "service_error_code": "TransactionCanceledException",
        "service_message": "Transaction cancelled",
        "http_status_code": 400,
        "modeled_fields": {"CancellationReasons": [{"Code": c} for c in codes]},
    }


def test_aws_dynamodb_conflict_is_retried_then_commits() -> None:
    # GIVEN a transaction cancelled once by a conflicting writer, then accepted
    dynamodb = client("dynamodb")
    records = [lake_record("a", content_id="c1"), lake_record("b", content_id="c1")]
    with Stubber(dynamodb) as stub:
        stub.add_client_error(
            "transact_write_items", **cancelled(["None", "None", "TransactionConflict", "None"])
        )
        stub.add_response("transact_write_items", {}, {"TransactItems": ANY, "ClientRequestToken": ANY})
        # WHEN applied
        counted = store(dynamodb).apply(records)
        stub.assert_no_pending_responses()
    # THEN both are counted
    assert counted == {"a", "b"}


def test_aws_dynamodb_persistent_conflict_gives_up_with_a_clear_error() -> None:
    # GIVEN a transaction that conflicts every time
    dynamodb = client("dynamodb")
    with Stubber(dynamodb) as stub:
        for _ in range(3):
            stub.add_client_error(
                "transact_write_items", **cancelled(["None", "TransactionConflict", "None"])
            )
        # WHEN applied with three attempts / THEN it raises, naming the reason
        with pytest.raises(CounterWriteError, match=r"after 3 attempt\(s\).*TransactionConflict"):
            store(dynamodb, max_attempts=3).apply([lake_record("a")])
        stub.assert_no_pending_responses()


def test_aws_dynamodb_retries_stop_when_the_time_budget_is_spent() -> None:
    # GIVEN a conflicting transaction and a clock that moves 5 s per reading
    class Ticking(Clock):
        def __call__(self) -> float:
            self.now += 5
            return self.now

    dynamodb = client("dynamodb")
    with Stubber(dynamodb) as stub:
        stub.add_client_error("transact_write_items", **cancelled(["None", "TransactionConflict", "None"]))
        # WHEN applied with many attempts allowed but an 8 s budget
        # THEN it gives up after the first retry decision, not after six attempts
        with pytest.raises(CounterWriteError, match=r"after 1 attempt\(s\)"):
            store(dynamodb, Ticking(), retry_budget_seconds=8).apply([lake_record("a")])
        stub.assert_no_pending_responses()


def test_aws_dynamodb_duplicate_found_by_cancellation_is_dropped_and_rest_committed() -> None:
    # GIVEN a claim failing its condition (a concurrent request counted it first)
    dynamodb = client("dynamodb")
    records = [lake_record("a", content_id="c1"), lake_record("b", content_id="c1")]
    calls = transactions(dynamodb)
    with Stubber(dynamodb) as stub:
        stub.add_client_error(
            "transact_write_items", **cancelled(["None", "ConditionalCheckFailed", "None", "None"])
        )
        stub.add_response("transact_write_items", {})
        # WHEN applied
        counted = store(dynamodb).apply(records)
        stub.assert_no_pending_responses()
    # THEN the retry claims only "a" and its deltas no longer include "b"
    assert counted == {"a"}
    claims = [a["Put"]["Item"]["pk"]["S"] for a in calls[1] if "Put" in a]
    assert claims == ["EVENT#a"]
    total = next(a["Update"] for a in calls[1] if "Update" in a and a["Update"]["Key"]["sk"]["S"] == "TOTAL")
    assert total["ExpressionAttributeValues"][":events"] == {"N": "1"}


def test_aws_dynamodb_throttling_error_is_retried() -> None:
    # GIVEN a throttled call (not a cancellation) followed by success
    dynamodb = client("dynamodb")
    with Stubber(dynamodb) as stub:
        stub.add_client_error(
            "transact_write_items",
            service_error_code="ProvisionedThroughputExceededException",
            http_status_code=400,
        )
        stub.add_response("transact_write_items", {})
        # WHEN applied / THEN it is counted
        assert store(dynamodb).apply([lake_record("a")]) == {"a"}
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code", ["ResourceNotFoundException", "ValidationException", "AccessDeniedException"]
)
def test_aws_dynamodb_misconfiguration_raises_at_once(code: str) -> None:
    # GIVEN a call failing for a reason no retry can fix
    dynamodb = client("dynamodb")
    with Stubber(dynamodb) as stub:
        stub.add_client_error("transact_write_items", service_error_code=code, http_status_code=400)
        # WHEN / THEN the error surfaces after one call
        with pytest.raises(ClientError, match=code):
            store(dynamodb).apply([lake_record("a")])


def test_aws_dynamodb_missing_table_raises_against_moto(dynamodb: Any) -> None:
    # GIVEN a store naming a table that does not exist
    counters = DynamoCounterStore("no-such-table", dedup_ttl_seconds=TTL, client=dynamodb)
    # WHEN / THEN applying is loud
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        counters.apply([lake_record("a")])


# --- read side -----------------------------------------------------------------------------------


def test_aws_dynamodb_top_content_ranks_totals(dynamodb: Any) -> None:
    # GIVEN three contents with different activity
    counters = store(dynamodb)
    records = [lake_record(f"a{i}", content_id="a", seconds=1) for i in range(3)]
    records += [lake_record(f"b{i}", content_id="b", event_type="like") for i in range(5)]
    records += [lake_record("c0", content_id="c", seconds=500)]
    counters.apply(records)
    # WHEN ranked by events, by a type and by seconds viewed
    # THEN the order follows the measure, ties broken by id, limited as asked
    assert [r.content_id for r in counters.top_content()] == ["b", "a", "c"]
    assert [r.content_id for r in counters.top_content(limit=1, by="view")] == ["a"]
    assert [r.content_id for r in counters.top_content(by="view_seconds")] == ["c", "a", "b"]
    with pytest.raises(ValueError, match="cannot rank"):
        counters.top_content(by="pk")


def test_aws_dynamodb_hourly_returns_buckets_in_range(dynamodb: Any) -> None:
    # GIVEN one content with events in four hours
    counters = store(dynamodb)
    counters.apply(
        [lake_record(f"e{h}", content_id="c1", at=f"2026-11-21T{h:02d}:10:00Z") for h in (8, 9, 10, 11)]
    )
    # WHEN two hours are asked for, inclusive
    hours = counters.hourly("c1", "2026-11-21T09", "2026-11-21T10")
    # THEN exactly those buckets come back, in order
    assert [(h.content_id, h.hour, h.counts["view"]) for h in hours] == [
        ("c1", "2026-11-21T09", 1),
        ("c1", "2026-11-21T10", 1),
    ]
    assert counters.hourly("other", "2026-11-21T00", "2026-11-21T23") == []


# --- hot content: write sharding -------------------------------------------------------------------


def hot_batches(n: int, per: int = 4) -> list[list[Any]]:
    """``n`` requests of ``per`` events each on the hot content, plus one on a cold one."""
    return [
        [
            *(
                lake_record(
                    f"h{b}-{i}", content_id="hot", event_type="view", at="2026-11-21T10:15:00Z", seconds=2
                )
                for i in range(per)
            ),
            lake_record(f"c{b}", content_id="cold", event_type="like", at="2026-11-21T11:00:00Z"),
        ]
        for b in range(n)
    ]


def test_aws_dynamodb_promoted_content_spreads_writes_and_reads_stay_exact(dynamodb: Any) -> None:
    # GIVEN a content promoted to 4 shards (and then 16), and forty requests
    counters = store(dynamodb)
    assert counters.promote("hot") == 4
    calls = transactions(dynamodb)
    batches = hot_batches(40)
    # WHEN they are counted, the content promoted again half way, and every request retried
    for i, batch in enumerate(batches):
        if i == 20:
            assert counters.promote("hot") == 16
        counters.apply(batch)
    recounted = [counters.apply(batch) for batch in batches]
    # THEN the hot content's updates went to many partitions, the cold one's to one
    hot_keys = {pk for call in calls for pk, _ in updated_keys(call) if pk.endswith("#hot")}
    assert len(hot_keys) >= 8 and "CONTENT#hot" in hot_keys
    assert {pk for call in calls for pk, _ in updated_keys(call) if pk.endswith("cold")} == {"CONTENT#cold"}
    # AND reads sum the shards exactly, and retries counted nothing
    assert recounted == [set()] * 40
    hot = counters.content("hot")
    assert hot is not None and hot.counts["view"] == 160 and hot.view_seconds == pytest.approx(320.0)
    assert [(h.hour, h.counts["view"]) for h in counters.hourly("hot", "2026-11-21T00", "2026-11-21T23")] == [
        ("2026-11-21T10", 160)
    ]
    top = counters.top_content(2)
    assert [(c.content_id, c.events) for c in top] == [("hot", 160), ("cold", 40)]
    # AND a reader with no memory of the promotion (another instance) reads the same
    assert store(dynamodb).content("hot") == hot


def test_aws_dynamodb_writer_with_a_stale_count_adopts_the_larger_one(dynamodb: Any) -> None:
    # GIVEN one writer that promoted a content to 16, and another that knows nothing of it
    first, second = store(dynamodb), store(dynamodb)
    first.promote("hot")
    first.promote("hot")
    # WHEN the second promotes (to 4): its conditional update fails
    learned = second.promote("hot")
    # THEN it adopts 16, and never lowers the stored count
    assert learned == 16 and second.shards_of("hot") == 16
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "SHARDS#hot"}, "sk": {"S": "SHARDS"}})["Item"]
    assert item["shards"] == {"N": "16"}


def test_aws_dynamodb_throttled_update_promotes_the_content_before_the_retry() -> None:
    # GIVEN a transaction whose update of the content's TOTAL item is throttled, then accepted
    dynamodb = client("dynamodb")
    calls = transactions(dynamodb)
    records = [lake_record("a", content_id="viral")]
    with Stubber(dynamodb) as stub:
        stub.add_client_error("transact_write_items", **cancelled(["None", "None", "ThrottlingError"]))
        stub.add_response(
            "update_item",
            {},
            {
                "TableName": TABLE,
                "Key": {"pk": {"S": "SHARDS#viral"}, "sk": {"S": "SHARDS"}},
                "UpdateExpression": ANY,
                "ConditionExpression": "attribute_not_exists(#shards) OR #shards < :n",
                "ExpressionAttributeNames": ANY,
                "ExpressionAttributeValues": {":n": {"N": "4"}, ":now": ANY},
            },
        )
        stub.add_response("transact_write_items", {})
        # WHEN applied
        counters = store(dynamodb, hot_writes_per_second=None)
        counted = counters.apply(records)
        stub.assert_no_pending_responses()
    # THEN it is counted once, the content now has 4 shards, and the retry used this writer's count
    assert counted == {"a"} and counters.shards_of("viral") == 4
    retried = updated_keys(calls[1])
    assert len(retried) == 2 and len({pk for pk, _ in retried}) == 1


def test_aws_dynamodb_single_conflict_does_not_promote_but_repeated_ones_do() -> None:
    # GIVEN conflicts on one content's update: once, then three times within ten seconds
    dynamodb = client("dynamodb")
    with Stubber(dynamodb) as stub:
        stub.add_client_error("transact_write_items", **cancelled(["None", "TransactionConflict", "None"]))
        stub.add_response("transact_write_items", {})
        counters = store(dynamodb, hot_writes_per_second=None)
        counters.apply([lake_record("a")])
        # THEN one conflict is ordinary contention: no promotion
        assert counters.shards_of("c-1") == 1
        for _ in range(2):
            stub.add_client_error(
                "transact_write_items", **cancelled(["None", "TransactionConflict", "None"])
            )
        stub.add_response("update_item", {})
        stub.add_response("transact_write_items", {})
        counters.apply([lake_record("b")])
        stub.assert_no_pending_responses()
    # AND the third within the window promotes it
    assert counters.shards_of("c-1") == 4


def test_aws_dynamodb_calls_stay_within_botocore_model_and_limits(dynamodb: Any) -> None:
    # GIVEN every request the store sends, checked by botocore's own validator against the service model
    from botocore.validate import ParamValidator

    model = dynamodb.meta.service_model
    sent: list[tuple[str, dict[str, Any]]] = []

    def spy(params: dict[str, Any], model: Any, **_: Any) -> None:
        sent.append((model.name, params))

    dynamodb.meta.events.register("before-parameter-build.dynamodb", spy)
    counters = store(dynamodb, max_shards=64)
    # WHEN a content is promoted to the top step and a long batch is counted and read
    for _ in range(4):
        counters.promote("hot")
    batch = [r for b in hot_batches(60, per=3) for r in b]
    counters.apply(batch)
    counters.content("hot")
    counters.hourly("hot", "2026-11-21T00", "2026-11-21T23")
    # THEN every call is valid for the model, transactions hold at most 100 actions on distinct
    # items, and batch reads at most 100 keys
    for name, params in sent:
        report = ParamValidator().validate(params, model.operation_model(name).input_shape)
        assert not report.has_errors(), report.generate_report()
        if name == "TransactWriteItems":
            keys = [
                next(iter(a.values()))["Key" if "Update" in a else "Item"] for a in params["TransactItems"]
            ]
            keys = [(k["pk"]["S"], k["sk"]["S"]) for k in keys]
            assert len(keys) <= MAX_TRANSACTION_ACTIONS and len(set(keys)) == len(keys)
            assert all(len(pk.encode()) <= 2048 for pk, _ in keys)
        if name == "BatchGetItem":
            assert all(len(v["Keys"]) <= 100 for v in params["RequestItems"].values())
    assert counters.shards_of("hot") == 64
