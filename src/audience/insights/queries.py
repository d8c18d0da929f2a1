"""Every lake query of the insights and the dashboard, written once for Athena (Trino) and DuckDB.

The SQL is the subset both engines share (``CAST``, ``CASE``, ``||``, struct field access, scalar
subqueries, ``GROUP BY 1``), with positional ``?`` parameters: Athena fills them from
``ExecutionParameters``, DuckDB from its own binding. ``tests/insights/test_insights_queries.py``
parses each one with sqlglot in the ``athena``, ``trino`` and ``duckdb`` dialects and runs it on a
small lake with exact expected numbers.

Queries are assembled here, at import time, from constant fragments: a *scope* (which events:
one content, one segment's members, or everything with the dashboard's filters) and a *shape*
(totals, a breakdown by one whitelisted dimension, a daily series, top content). Callers choose a
query by name and bind values by parameter name; they never supply SQL text.

The events table is partitioned by arrival date (``year``/``month``/``day``, zero-padded strings),
never earlier than the event's own date and never later than the query's own day. Two predicates
use that: ``year``/``month`` ranges on the bare partition columns, which Athena's partition
projection turns into a short candidate list (a computed expression alone would make it project
every partition of 2024-2099), and the exact ``arrival_day >= start_day`` filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from audience.insights.ports import Param

EVENTS: Final = "engagement_events"
CONTENT_FEATURES: Final = "content_features"
USER_FEATURES: Final = "user_features"
SEGMENTS: Final = "segment_assignments"
CHURN: Final = "churn_scores"
ENGAGEMENT: Final = "engagement_scores"


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    params: tuple[str, ...]
    """Parameter names in the order of the ``?`` marks (a name may repeat)."""
    tables: tuple[str, ...]
    """Tables the query reads; all must be available for it to run."""

    def bind(self, values: Mapping[str, Param]) -> list[Param]:
        missing = sorted(set(self.params) - set(values))
        if missing:
            raise KeyError(f"query {self.name} needs {', '.join(missing)}")
        return [values[name] for name in self.params]


@dataclass(frozen=True)
class _Fragment:
    sql: str
    params: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()


_WINDOW = _Fragment(
    "e.event_timestamp >= CAST(? AS TIMESTAMP) AND e.event_timestamp < CAST(? AS TIMESTAMP) "
    "AND e.year BETWEEN ? AND ? AND e.month BETWEEN ? AND ? "
    "AND (e.year || '-' || e.month || '-' || e.day) >= ?",
    ("start", "end", "year_from", "year_to", "month_from", "month_to", "start_day"),
)

_FILTERS = _Fragment(
    "(? = '' OR e.platform = ?) AND (? = '' OR e.location.country = ?) AND (? = '' OR e.device_type = ?)",
    ("platform", "platform", "country", "country", "device_type", "device_type"),
)

SCOPES: Final[dict[str, _Fragment]] = {
    "content": _Fragment("e.content_id = ?", ("content_id",)),
    "segment": _Fragment(
        f"e.user_id IN (SELECT a.user_id FROM {SEGMENTS} a WHERE a.segment_id = ? "
        f"AND a.as_of = (SELECT max(b.as_of) FROM {SEGMENTS} b WHERE b.segment_id = ?))",
        ("segment_id", "segment_id"),
        (SEGMENTS,),
    ),
    "all": _FILTERS,
    "all_typed": _Fragment(
        _FILTERS.sql
        + f" AND e.content_id IN (SELECT t.content_id FROM {CONTENT_FEATURES} t WHERE t.content_type = ? "
        f"AND t.as_of = (SELECT max(u.as_of) FROM {CONTENT_FEATURES} u))",
        (*_FILTERS.params, "content_type"),
        (CONTENT_FEATURES,),
    ),
}
"""``all`` is the dashboard's scope: an empty filter value means "any"."""


@dataclass(frozen=True)
class Dimension:
    expr: str
    join: _Fragment = _Fragment("")


_LATEST_CONTENT = (
    f"LEFT JOIN (SELECT cf.content_id, cf.content_type, cf.primary_genre FROM {CONTENT_FEATURES} cf "
    f"WHERE cf.as_of = (SELECT max(cm.as_of) FROM {CONTENT_FEATURES} cm)) c ON c.content_id = e.content_id"
)

DIMENSIONS: Final[dict[str, Dimension]] = {
    "event_type": Dimension("e.event_type"),
    "platform": Dimension("e.platform"),
    "device_type": Dimension("e.device_type"),
    "country": Dimension("e.location.country"),
    "content_type": Dimension(
        "coalesce(c.content_type, 'unknown')", _Fragment(_LATEST_CONTENT, (), (CONTENT_FEATURES,))
    ),
    "genre": Dimension(
        "coalesce(c.primary_genre, 'unknown')", _Fragment(_LATEST_CONTENT, (), (CONTENT_FEATURES,))
    ),
    "subscription_tier": Dimension(
        "coalesce(f.subscription_tier, 'unknown')",
        _Fragment(
            f"LEFT JOIN (SELECT uf.user_id, uf.subscription_tier FROM {USER_FEATURES} uf "
            f"WHERE uf.as_of = (SELECT max(um.as_of) FROM {USER_FEATURES} um)) f ON f.user_id = e.user_id",
            (),
            (USER_FEATURES,),
        ),
    ),
}
"""The only dimensions a breakdown may group by (the dashboard's and the insights' whitelist)."""

_COUNTS = (
    "count(*) AS events, count(DISTINCT e.user_id) AS users, "
    "coalesce(sum(CASE WHEN e.event_type = 'view' THEN 1 ELSE 0 END), 0) AS views, "
    "coalesce(sum(CASE WHEN e.event_type = 'complete' THEN 1 ELSE 0 END), 0) AS completes"
)

_TOTALS = (
    f"{_COUNTS}, count(DISTINCT e.content_id) AS contents, "
    "coalesce(sum(CASE WHEN e.event_type = 'like' THEN 1 ELSE 0 END), 0) AS likes, "
    "coalesce(sum(CASE WHEN e.event_type = 'share' THEN 1 ELSE 0 END), 0) AS shares, "
    "coalesce(sum(CASE WHEN e.event_type = 'comment' THEN 1 ELSE 0 END), 0) AS comments, "
    "coalesce(sum(CASE WHEN e.event_type = 'skip' THEN 1 ELSE 0 END), 0) AS skips, "
    "avg(CASE WHEN e.event_type = 'view' THEN e.metadata.completion_rate END) AS avg_completion_rate, "
    "coalesce(sum(CASE WHEN e.event_type = 'view' THEN e.metadata.view_duration END), 0) AS watch_seconds"
)


def _where(scope: _Fragment) -> tuple[str, tuple[str, ...]]:
    return f"WHERE {_WINDOW.sql} AND {scope.sql}", (*_WINDOW.params, *scope.params)


def _build() -> dict[str, Query]:
    built: dict[str, Query] = {}
    for scope_name, scope in SCOPES.items():
        where, params = _where(scope)
        tables = (EVENTS, *scope.tables)
        built[f"totals:{scope_name}"] = Query(
            f"totals:{scope_name}",
            f"SELECT {_TOTALS} FROM {EVENTS} e {where}",
            params,
            tables,
        )
        built[f"daily:{scope_name}"] = Query(
            f"daily:{scope_name}",
            f"SELECT CAST(e.event_timestamp AS DATE) AS event_date, {_COUNTS} FROM {EVENTS} e {where} "
            "GROUP BY 1 ORDER BY 1",
            params,
            tables,
        )
        built[f"daily_by_type:{scope_name}"] = Query(
            f"daily_by_type:{scope_name}",
            f"SELECT CAST(e.event_timestamp AS DATE) AS event_date, e.event_type AS event_type, "
            f"count(*) AS events FROM {EVENTS} e {where} GROUP BY 1, 2 ORDER BY 1, 2",
            params,
            tables,
        )
        # The daily events of the scope's top 10 contents (the dashboard's sparklines): the same
        # window and filters select the ten, in a subquery, so one query answers for all of them.
        built[f"daily_top:{scope_name}"] = Query(
            f"daily_top:{scope_name}",
            f"SELECT e.content_id AS content_id, CAST(e.event_timestamp AS DATE) AS event_date, "
            f"count(*) AS events FROM {EVENTS} e {where} AND e.content_id IN ("
            f"SELECT t.content_id FROM (SELECT e.content_id AS content_id, count(*) AS n FROM {EVENTS} e {where} "
            "GROUP BY 1 ORDER BY n DESC, content_id LIMIT 10) t) GROUP BY 1, 2 ORDER BY 1, 2",
            (*params, *params),
            tables,
        )
        built[f"top_content:{scope_name}"] = Query(
            f"top_content:{scope_name}",
            f"SELECT e.content_id AS content_id, {_COUNTS} FROM {EVENTS} e {where} "
            "GROUP BY 1 ORDER BY events DESC, content_id LIMIT 100",
            params,
            tables,
        )
        for dim_name, dim in DIMENSIONS.items():
            built[f"by_{dim_name}:{scope_name}"] = Query(
                f"by_{dim_name}:{scope_name}",
                f"SELECT {dim.expr} AS dim_value, {_COUNTS}, "
                "avg(CASE WHEN e.event_type = 'view' THEN e.metadata.completion_rate END) AS avg_completion_rate "
                f"FROM {EVENTS} e {dim.join.sql} {where} GROUP BY 1 ORDER BY events DESC, dim_value LIMIT 200",
                params,
                tuple(dict.fromkeys((*tables, *dim.join.tables))),
            )
    built["segment_info"] = Query(
        "segment_info",
        f"SELECT max(s.segment_name) AS segment_name, count(DISTINCT s.user_id) AS members, "
        f"max(s.as_of) AS as_of FROM {SEGMENTS} s WHERE s.segment_id = ? "
        f"AND s.as_of = (SELECT max(m.as_of) FROM {SEGMENTS} m WHERE m.segment_id = ?)",
        ("segment_id", "segment_id"),
        (SEGMENTS,),
    )
    built["segments"] = Query(
        "segments",
        f"SELECT s.segment_id AS segment_id, max(s.segment_name) AS segment_name, max(s.method) AS method, "
        "count(DISTINCT s.user_id) AS members "
        f"FROM {SEGMENTS} s WHERE s.as_of = (SELECT max(m.as_of) FROM {SEGMENTS} m) "
        "GROUP BY 1 ORDER BY members DESC, segment_id LIMIT 100",
        (),
        (SEGMENTS,),
    )
    churn_latest = f"p.as_of = (SELECT max(pm.as_of) FROM {CHURN} pm)"
    built["churn:segment"] = Query(
        "churn:segment",
        f"SELECT p.risk_band AS risk_band, count(*) AS users, avg(p.churn_probability) AS avg_probability, "
        f"max(p.model_version) AS model_version FROM {CHURN} p WHERE {churn_latest} AND {SCOPES['segment'].sql.replace('e.user_id', 'p.user_id')} "
        "GROUP BY 1 ORDER BY 1",
        SCOPES["segment"].params,
        (CHURN, SEGMENTS),
    )
    where, params = _where(SCOPES["content"])
    built["churn:content"] = Query(
        "churn:content",
        f"SELECT p.risk_band AS risk_band, count(*) AS users, avg(p.churn_probability) AS avg_probability, "
        f"max(p.model_version) AS model_version FROM {CHURN} p WHERE {churn_latest} "
        f"AND p.user_id IN (SELECT e.user_id FROM {EVENTS} e {where}) GROUP BY 1 ORDER BY 1",
        params,
        (CHURN, EVENTS),
    )
    built["engagement:content"] = Query(
        "engagement:content",
        f"SELECT count(*) AS users, avg(s.predicted_engagement) AS avg_predicted_engagement, "
        f"max(s.model_version) AS model_version FROM {ENGAGEMENT} s WHERE s.content_id = ? "
        f"AND s.as_of = (SELECT max(sm.as_of) FROM {ENGAGEMENT} sm)",
        ("content_id",),
        (ENGAGEMENT,),
    )
    return built


QUERIES: Final[dict[str, Query]] = _build()


def query(name: str) -> Query:
    return QUERIES[name]
