"""The rules writer: the local default and Bedrock's fallback, deriving an :class:`Insight` from numbers.

Every sentence states figures copied from the inputs (already rounded there) or derived by the
rules :mod:`.numbers` accepts, so its output always passes the no-invented-numbers check. User
text (a title, a segment name) is never interpreted, only quoted.

Rules (documented in docs/insights.md):

* Trend: a metric moving 5 % or more against the previous period is ``up``/``down``, else ``flat``.
  Events down by 10 % or more is an opportunity and a high-priority recommendation; up by 10 % or
  more is a strength.
* Completion ratio band (completes / views): >= 60 % strong, 30-60 % moderate, < 30 % weak (an
  opportunity and a recommendation to look at the opening minutes).
* Skip rate (skips / views) of 30 % or more is an opportunity.
* Affinity index (the value's share of the subject's events over its share of all events, x100):
  >= 120 with at least 5 % of the events is a strength and a "lean into it" recommendation; <= 80 with
  at least 5 % of all events reached is an opportunity.
* Churn: 30 % or more of the audience in the ``high`` risk band is a high-priority retention
  recommendation.
"""

from __future__ import annotations

from audience.insights.models import (
    AudienceInsights,
    Insight,
    InsightInputs,
    Recommendation,
    Share,
    Trend,
)

TREND_PCT = 5.0
ALERT_PCT = 10.0
STRONG_COMPLETION = 0.6
WEAK_COMPLETION = 0.3
HIGH_SKIP = 0.3
AFFINITY_HIGH = 120.0
AFFINITY_LOW = 80.0
MIN_SHARE_PCT = 5.0
HIGH_CHURN_SHARE = 30.0

_LABELS = {
    "event_type": "event type",
    "platform": "platform",
    "device_type": "device",
    "country": "country",
    "subscription_tier": "subscription tier",
    "content_type": "content type",
    "genre": "genre",
}


def _name(inputs: InsightInputs) -> str:
    s = inputs.subject
    if s.kind == "content":
        return f'content {s.id} ("{s.title}")' if s.title else f"content {s.id}"
    return f'segment {s.id} ("{s.title}")' if s.title else f"segment {s.id}"


def _pct_text(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"


def _top(shares: list[Share], n: int = 3) -> str:
    return ", ".join(f"{s.value} {s.share_pct}%" for s in shares[:n])


def write_insight(inputs: InsightInputs) -> Insight:
    cur, days = inputs.current, inputs.window_days
    changes = {c.metric: c for c in inputs.changes}
    strengths: list[str] = []
    opportunities: list[str] = []
    recs: list[Recommendation] = []

    events_change = changes["events"].change_pct
    summary = f"{_name(inputs)} had {cur.events:,} events from {cur.users:,} users in the last {days} days"
    if events_change is not None:
        summary += (
            f", {'up' if events_change >= 0 else 'down'} {abs(events_change)}% on the previous {days} days"
        )
    elif inputs.previous.events == 0 and cur.events:
        summary += f", with no events in the previous {days} days"
    if cur.completion_ratio is not None:
        summary += f"; {_pct_text(cur.completion_ratio)} of views were completed"
    summary += "."

    if events_change is not None and events_change <= -ALERT_PCT:
        opportunities.append(
            f"Events fell {abs(events_change)}% against the previous {days} days "
            f"({inputs.previous.events:,} to {cur.events:,})."
        )
        recs.append(
            Recommendation(
                action="Find what changed since the previous period (placement, release, promotion) and re-promote to the audience that engaged before.",
                priority="high",
                expected_impact=f"Recover the {inputs.previous.events - cur.events:,} events lost against the previous period.",
            )
        )
    elif events_change is not None and events_change >= ALERT_PCT:
        strengths.append(f"Events grew {events_change}% against the previous {days} days.")

    if cur.completion_ratio is not None:
        ratio = cur.completion_ratio
        if ratio >= STRONG_COMPLETION:
            strengths.append(f"Strong completion: {_pct_text(ratio)} of {cur.views:,} views were completed.")
        elif ratio < WEAK_COMPLETION:
            opportunities.append(
                f"Weak completion: only {_pct_text(ratio)} of {cur.views:,} views were completed."
            )
            recs.append(
                Recommendation(
                    action="Review the opening and the length: most viewers stop before the end.",
                    priority="medium",
                    expected_impact=f"Lift the completion ratio from {_pct_text(ratio)} towards the strong band.",
                )
            )
        else:
            strengths.append(
                f"Moderate completion: {_pct_text(ratio)} of {cur.views:,} views were completed."
            )
    if cur.views and cur.skips / cur.views >= HIGH_SKIP:
        opportunities.append(f"{cur.skips:,} skips against {cur.views:,} views.")

    for dim, shares in inputs.breakdowns.items():
        if dim == "event_type":
            continue
        label = _LABELS.get(dim, dim)
        for s in shares:
            if s.affinity_index is None:
                continue
            if s.affinity_index >= AFFINITY_HIGH and s.share_pct >= MIN_SHARE_PCT:
                strengths.append(
                    f"Over-indexes on {label} {s.value}: {s.share_pct}% of events, affinity index {s.affinity_index}."
                )
                if len(recs) < 4:
                    recs.append(
                        Recommendation(
                            action=f"Lean into {label} {s.value}: target it in promotion and placement.",
                            priority="medium",
                            expected_impact=f"Grow the {s.events:,} events from {label} {s.value}, where affinity is {s.affinity_index}.",
                        )
                    )
            elif s.affinity_index <= AFFINITY_LOW and s.share_pct >= MIN_SHARE_PCT:
                opportunities.append(
                    f"Under-indexes on {label} {s.value}: {s.share_pct}% of events, affinity index {s.affinity_index}."
                )

    churn = inputs.predictions.churn
    if churn:
        high = next((b for b in churn if b.risk_band == "high"), None)
        if high and high.share_pct >= HIGH_CHURN_SHARE:
            opportunities.append(
                f"{high.share_pct}% of the audience ({high.users:,} users) is at high churn risk."
            )
            recs.append(
                Recommendation(
                    action="Send the high-churn-risk part of this audience a retention offer or a personalised recommendation.",
                    priority="high",
                    expected_impact=f"Keep some of the {high.users:,} users at high churn risk.",
                )
            )
    if not recs:
        recs.append(
            Recommendation(
                action="Keep the current approach and watch the weekly trend.",
                priority="low",
                expected_impact=f"Hold the {cur.events:,} events of the last {days} days.",
            )
        )

    trends = []
    for metric in ("events", "users", "completion_ratio"):
        c = changes[metric]
        if c.change_pct is None:
            continue
        direction = "up" if c.change_pct >= TREND_PCT else "down" if c.change_pct <= -TREND_PCT else "flat"
        trends.append(
            Trend(
                metric=metric,
                direction=direction,
                change_pct=c.change_pct,
                description=f"{metric.replace('_', ' ')} {direction} {abs(c.change_pct)}% against the previous {days} days.",
            )
        )

    demographics = [
        f"Top {_LABELS[d]}: {_top(inputs.breakdowns[d])}."
        for d in ("country", "subscription_tier")
        if inputs.breakdowns.get(d)
    ]
    if inputs.subject.members is not None:
        demographics.append(
            f"{inputs.subject.members:,} members; {cur.users:,} were active in the last {days} days."
        )
    behaviour = [
        f"Top {_LABELS[d]}: {_top(inputs.breakdowns[d])}."
        for d in ("device_type", "platform")
        if inputs.breakdowns.get(d)
    ]
    if inputs.live is not None:
        behaviour.append(
            f"Live counters: {inputs.live.events:,} events all time, {inputs.live.last_24h_events:,} in the last day."
        )
    preferences = [
        f"Event mix: {_top(inputs.breakdowns[d], 6)}."
        if d == "event_type"
        else f"Top {_LABELS[d]}: {_top(inputs.breakdowns[d])}."
        for d in ("content_type", "genre", "event_type")
        if inputs.breakdowns.get(d)
    ]
    if inputs.predictions.avg_predicted_engagement is not None:
        preferences.append(
            f"Predicted engagement averages {inputs.predictions.avg_predicted_engagement} over {inputs.predictions.engagement_users:,} scored users."
        )

    return Insight(
        summary=summary,
        strengths=strengths[:6],
        opportunities=opportunities[:6],
        recommendations=recs[:5],
        trends=trends,
        audience_insights=AudienceInsights(
            demographics=demographics[:6], behaviour=behaviour[:6], preferences=preferences[:6]
        ),
    )
