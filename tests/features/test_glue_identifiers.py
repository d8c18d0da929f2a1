"""Identifiers as users have them (contract 1.1) come out of the feature jobs verbatim.

The same four ids as tests/api/test_identifiers_end_to_end.py (a URL with ``?&=#``, an e-mail-like
id with ``+``, a title with spaces and a non-ASCII dash, a string that looks like SQL) go through
the three feature jobs' scripts on local Spark (the shared session), from a lake written to disk
and reference CSVs that quote them, into every feature table keyed by user or content.
"""

from __future__ import annotations

from pathlib import Path

from glue_testkit import Ev, at, read_table, view, write_lake, write_reference
from pyspark.sql import SparkSession

from glue_jobs import content_features, user_content_features, user_features

URL = "https://x.example/watch?v=1&t=2#a"
EMAIL = "jane.doe+news@example.com"
TITLE = "Episode 12 \u2013 Finale"
SQLISH = "c1'; DROP TABLE events;--"
CONTENT = (URL, TITLE, SQLISH, EMAIL)
USERS = (EMAIL, TITLE, SQLISH)


def test_feature_jobs_keep_identifiers_verbatim(spark: SparkSession, tmp_path: Path) -> None:
    # GIVEN a lake whose users, contents, sessions and event ids are such strings, in the window of
    # 2026-11-20, and reference CSVs that list them (quoted where CSV needs it)
    lake = tmp_path / "lake"
    events = [
        view(
            user, content, at(f"2026-11-{8 + n:02d} 20:00"), session_id=URL, event_id=f"{content}#{user}#{n}"
        )
        for n, (user, content) in enumerate((u, c) for u in USERS for c in CONTENT)
    ]
    events.append(Ev(EMAIL, SQLISH, "like", at("2026-11-19 08:00"), session_id=TITLE, event_id=f"{URL}&like"))
    write_lake(lake, events)
    reference = write_reference(
        tmp_path / "reference",
        [(user, "2026-10-01", "US", "free", 0.0) for user in USERS],
        [(content, "video", "Drama|Comedy", f'"{content}", the title') for content in CONTENT],
    )
    argv = ["job.py", "--lake_path", str(lake), "--reference_path", str(reference), "--as_of", "2026-11-20"]
    # WHEN the three feature jobs run on it
    for job in (user_content_features, content_features, user_features):
        job.main(argv, spark=spark)  # type: ignore[attr-defined]
    # THEN every table keyed by user or content holds exactly those ids, byte for byte
    pairs = {(r.user_id, r.content_id) for r in read_table(spark, lake, "user_content_features").collect()}
    assert pairs == {(u, c) for u in USERS for c in CONTENT}
    for name in ("content_features", "content_daily", "content_hourly"):
        assert {r.content_id for r in read_table(spark, lake, name).collect()} == set(CONTENT), name
    users = read_table(spark, lake, "user_features").collect()
    assert {r.user_id for r in users} == set(USERS)
    # AND the counts behind them are the events sent (no id was split, merged or dropped)
    by_pair = {
        (r.user_id, r.content_id): r.events
        for r in read_table(spark, lake, "user_content_features").collect()
    }
    assert by_pair[(EMAIL, SQLISH)] == 2 and sum(by_pair.values()) == len(events)
