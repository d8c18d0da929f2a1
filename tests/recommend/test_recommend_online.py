"""The online attribution on a small lake with known answers: the one SQL text on DuckDB over the
events' Parquet and the served lists' JSON lines; and the same text parses as Athena/Trino SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot

from audience.recommend.adapters.local.duckdb_online import DuckDBOnlineQuery
from audience.recommend.adapters.local.served_log import JsonLinesServedLog
from audience.recommend.online import ONLINE_SQL, analyse, bind, outcomes
from audience.recommend.ports import ServedList

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _served(
    rid: str, user: str, variant: str, items: list[str], at: datetime, cold: bool = False
) -> ServedList:
    text = at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return ServedList(rid, user, variant, items, text, cold, "table", "m", "exp")


def _events(lake: Path, rows: list[tuple[str | None, str, str, str, float, float | None]]) -> None:
    meta = pa.struct(
        [
            ("view_duration", pa.float64()),
            ("completion_rate", pa.float64()),
            ("interaction_count", pa.int64()),
        ]
    )
    table = pa.table(
        {
            "recommendation_id": pa.array([r[0] for r in rows], pa.string()),
            "user_id": [r[1] for r in rows],
            "content_id": [r[2] for r in rows],
            "event_type": [r[3] for r in rows],
            "event_timestamp": pa.array([T0 + timedelta(seconds=r[4]) for r in rows], pa.timestamp("us")),
            "metadata": pa.array(
                [{"view_duration": r[5], "completion_rate": None, "interaction_count": None} for r in rows],
                meta,
            ),
        }
    )
    folder = lake / "engagement-events" / "year=2026" / "month=11" / "day=20"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-0.parquet")


def test_online_attribution_counts_only_views_of_listed_items_by_the_same_user_within_the_window(
    tmp_path: Path,
) -> None:
    # GIVEN three served lists and events around them
    lake = tmp_path / "lake"
    log = JsonLinesServedLog(lake)
    log.record(_served("r1", "u1", "baseline", ["a", "b"], T0))
    log.record(_served("r2", "u2", "personalize", ["c"], T0))
    log.record(_served("r3", "u3", "baseline", ["a"], T0))
    log.record(_served("r4", "u4", "baseline", ["a"], T0, cold=True))
    _events(
        lake,
        [
            ("r1", "u1", "a", "view", 10, 30.0),  # counts: listed item, same user, in window
            ("r1", "u1", "c", "view", 20, 99.0),  # not listed
            ("r1", "u1", "b", "view", 7200, 99.0),  # after the 1-hour window
            ("r1", "u1", "b", "view", -5, 99.0),  # before it was served
            ("r2", "u2", "c", "view", 5, 50.0),
            ("r2", "u2", "c", "complete", 55, None),
            ("r3", "u9", "a", "view", 5, 40.0),  # someone else's event with r3's id
            (None, "u3", "a", "view", 5, 40.0),  # no attribution
        ],
    )
    # WHEN the online SQL runs with a one-hour window
    rows = outcomes(DuckDBOnlineQuery(lake).run(ONLINE_SQL, bind({"window_seconds": 3600})))
    # THEN each list has exactly the engagement it caused
    got = {
        r.recommendation_id: (r.variant, r.clicked, r.completed, r.watch_seconds, r.cold_start) for r in rows
    }
    assert got == {
        "r1": ("baseline", 1, 0, 30.0, False),
        "r2": ("personalize", 1, 1, 50.0, False),
        "r3": ("baseline", 0, 0, 0.0, False),
        "r4": ("baseline", 0, 0, 0.0, True),
    }
    # AND the analysis leaves cold-start lists out and gives each variant's click-through
    result = analyse(rows)
    assert result["lists"] == 3 and result["cold_start_lists_excluded"] == 1
    assert result["baseline"]["ctr"] == 0.5 and result["baseline"]["served"] == 2
    assert result["personalize"]["ctr"] == 1.0 and result["personalize"]["watch_time"] == 50.0
    assert result["tests"]["ctr_difference"] == 0.5


@pytest.mark.parametrize("dialect", ["athena", "trino", "duckdb"])
def test_online_sql_is_one_text_for_athena_and_duckdb(dialect: str) -> None:
    # GIVEN the online query
    # WHEN parsed in each engine's dialect
    # THEN it parses, with one parameter (the window)
    assert sqlglot.parse_one(ONLINE_SQL, read=dialect) is not None
    assert ONLINE_SQL.count("?") == 1


def test_analysis_intervals_separate_a_clearly_better_variant() -> None:
    # GIVEN 400 users per arm, the personalize arm clicking twice as often
    from audience.recommend.online import ListOutcome

    rows = [
        ListOutcome(f"{v}{n}", f"{v}-u{n % 400}", v, f"2026-11-20 12:{n % 60:02d}:00.000000", False,
                    int((n % 10) < (6 if v == "personalize" else 3)), 0, 10.0 + n % 7)
        for v in ("baseline", "personalize") for n in range(800)
    ]  # fmt: skip
    # WHEN analysed
    result = analyse(rows)
    # THEN the intervals do not overlap and the z-test is decisive
    assert result["personalize"]["ctr_ci"][0] > result["baseline"]["ctr_ci"][1]
    assert result["tests"]["ctr_intervals_overlap"] is False
    assert result["tests"]["ctr_p_value"] < 1e-6
    assert len(result["over_time"]) == 8
