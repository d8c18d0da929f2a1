"""The local stores' exactly-once id memory (an append-only claim log folded into memory per process)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from audience.core.sqlite import SqliteDatabase
from audience.ingest.adapters.local.claims import ClaimLog


def _claim(db: SqliteDatabase, log: ClaimLog, ids: list[str], now: float, ttl: float = 100.0) -> list[str]:
    with db.transaction() as conn:
        return log.claim(conn, ids, now, ttl)


def test_an_id_is_claimed_once_until_it_expires(tmp_path: Path) -> None:
    # GIVEN a claim log with two ids claimed at t=0 for 100 s
    db = SqliteDatabase(tmp_path / "c.db", "")
    log = ClaimLog(db)
    assert _claim(db, log, ["a", "b", "a"], now=0) == ["a", "b"]  # a repeat within a call counts once
    # WHEN they are claimed again within the TTL THEN only the new id is claimed
    assert _claim(db, log, ["b", "c"], now=50) == ["c"]
    assert log.known(["a", "b", "c", "d"], now=60) == {"a", "b", "c"}
    # WHEN the TTL has passed THEN the id is unknown and can be claimed again, for a new TTL
    assert log.known(["a"], now=101) == set()
    assert _claim(db, log, ["a"], now=101) == ["a"]
    assert log.known(["a"], now=150) == {"a"}


def test_a_second_handle_on_the_file_sees_every_committed_claim(tmp_path: Path) -> None:
    # GIVEN two handles on one file (as two worker processes have)
    first_db, second_db = SqliteDatabase(tmp_path / "c.db", ""), SqliteDatabase(tmp_path / "c.db", "")
    first, second = ClaimLog(first_db), ClaimLog(second_db)
    assert _claim(first_db, first, ["a", "b"], now=0) == ["a", "b"]
    # WHEN the second claims overlapping ids THEN it claims only what the first did not
    assert _claim(second_db, second, ["b", "c"], now=1) == ["c"]
    # AND each sees the other's claims
    assert first.known(["a", "b", "c"], now=2) == {"a", "b", "c"}
    assert second.known(["a"], now=2) == {"a"}


def test_a_rolled_back_claim_is_not_remembered(tmp_path: Path) -> None:
    # GIVEN a claim whose transaction fails after the claim
    db = SqliteDatabase(tmp_path / "c.db", "")
    log = ClaimLog(db)
    with pytest.raises(RuntimeError), db.transaction() as conn:
        assert log.claim(conn, ["a"], 0, 100) == ["a"]
        raise RuntimeError("the write it guards failed")
    # THEN the id was never claimed: the retry claims it, and other handles agree
    assert log.known(["a"], now=1) == set()
    assert _claim(db, log, ["a"], now=1) == ["a"]
    other_db = SqliteDatabase(tmp_path / "c.db", "")
    assert ClaimLog(other_db).known(["a"], now=2) == {"a"}


def test_expired_rows_are_removed_and_sequence_numbers_never_reused(tmp_path: Path) -> None:
    # GIVEN claims that all expire, then a second handle that had read them
    db = SqliteDatabase(tmp_path / "c.db", "")
    log = ClaimLog(db)
    _claim(db, log, ["a", "b"], now=0, ttl=10)
    reader_db = SqliteDatabase(tmp_path / "c.db", "")
    reader = ClaimLog(reader_db)
    assert reader.known(["a"], now=1) == {"a"}
    # WHEN they are removed, and a new id is claimed into the now empty log
    with db.transaction() as conn:
        assert log.expire(conn, now=20) == 2
    _claim(db, log, ["z"], now=21)
    # THEN the reader still sees the new claim (it continues after the last row it read)
    assert reader.known(["z", "a"], now=22) == {"z"}


def test_claims_of_the_earlier_table_layout_are_carried_over(tmp_path: Path) -> None:
    # GIVEN a home written by the earlier layout (a primary-key table of ids)
    conn = sqlite3.connect(tmp_path / "c.db")
    conn.execute("CREATE TABLE counted (event_id TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID")
    conn.executemany("INSERT INTO counted VALUES (?, ?)", [("old", 1000.0), ("gone", 5.0)])
    conn.commit()
    conn.close()
    # WHEN the log opens it
    db = SqliteDatabase(tmp_path / "c.db", "")
    log = ClaimLog(db, legacy=("counted", "event_id"))
    # THEN its unexpired ids are still known, and the old table is gone
    assert log.known(["old", "gone"], now=10) == {"old"}
    assert _claim(db, log, ["old", "new"], now=10) == ["new"]
    tables = {r[0] for r in db.connection().execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "counted" not in tables


def test_concurrent_handles_claim_each_id_exactly_once(tmp_path: Path) -> None:
    # GIVEN three handles on one file, each with its own memory (as the collector's worker processes
    # have), claiming the same 600 ids in different orders, in small transactions, at the same time
    ids = [f"e{i}" for i in range(600)]
    orders = [ids, ids[::-1], ids[300:] + ids[:300]]
    SqliteDatabase(tmp_path / "c.db", "")  # the file exists, in WAL mode, before they start
    won: list[list[str]] = [[] for _ in orders]

    def claim_all(slot: int) -> None:
        db = SqliteDatabase(tmp_path / "c.db", "")
        log = ClaimLog(db)
        for start in range(0, len(ids), 50):
            with db.transaction() as conn:
                won[slot].extend(log.claim(conn, orders[slot][start : start + 50], 0, 1000))

    threads = [threading.Thread(target=claim_all, args=(slot,)) for slot in range(len(orders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # THEN every id was claimed by exactly one of them
    claimed = [i for part in won for i in part]
    assert sorted(claimed) == sorted(ids)
