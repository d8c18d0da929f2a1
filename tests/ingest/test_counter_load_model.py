"""The hot-counter load model's DynamoDB fake enforces the partition limit, and sharding keeps under it.

Small scale (a 100 WCU/s limit, 3,000 events/s), so it runs in seconds; `make bench` runs the full
model (1,000 WCU/s, 100,000 events/s)."""

from __future__ import annotations

import pytest

from bench.counters import ThrottlingTable, simulate, stream


def test_fake_table_throttles_a_partition_past_its_limit() -> None:
    # GIVEN a table with a 4 WCU/s limit and transactional writes of 2 WCU each
    table = ThrottlingTable(lambda: 1_000.0, limit=4)
    update = {
        "Update": {
            "Key": {"pk": {"S": "CONTENT#c"}, "sk": {"S": "TOTAL"}},
            "UpdateExpression": "ADD #events :events SET #u = :u",
            "ExpressionAttributeNames": {"#events": "events", "#u": "updated_at"},
            "ExpressionAttributeValues": {":events": {"N": "1"}, ":u": {"N": "1"}},
        }
    }
    # WHEN three transactions hit it within one second
    table.transact_write_items(TransactItems=[update])
    table.transact_write_items(TransactItems=[update])
    with pytest.raises(Exception, match="TransactionCanceledException") as caught:
        table.transact_write_items(TransactItems=[update])
    # THEN the third is cancelled with ThrottlingError on that item, and nothing of it is applied
    assert caught.value.response["CancellationReasons"] == [{"Code": "ThrottlingError"}]  # type: ignore[attr-defined]
    assert table.items[("CONTENT#c", "TOTAL")]["events"] == 2.0


def test_sharding_keeps_every_partition_under_the_limit_once_promoted_and_counts_exactly() -> None:
    # GIVEN a Zipf stream that overloads the top content's partition tenfold
    requests = stream(3_000, 3, 2_000, 1.1, 5.0, seed=3)
    # WHEN replayed without and with sharding
    plain = simulate(requests, sharding=False, writers=10, seconds=3, limit=100)
    sharded = simulate(requests, sharding=True, writers=10, seconds=3, limit=100)
    # THEN without sharding the partition is asked for far more than it takes, and requests fail
    assert plain["max_demanded_wcu_last_second"] > 300 and plain["failed_requests"] > 0
    # AND with sharding the last second asks no partition for more than its limit, nothing fails
    # after promotion, and every counted event is in exactly one shard's total
    assert sharded["max_demanded_wcu_last_second"] <= 100
    assert sharded["hottest_content_shards"] > 1 and sharded["promotions"] > 0
    assert sharded["failed_requests"] < plain["failed_requests"] / 5
    assert sharded["exact"] and plain["exact"]
