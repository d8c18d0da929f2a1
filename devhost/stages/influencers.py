"""The influencers stage of ``make demo``: a generated social network with planted truth, posted to
``POST /social/posts``, scored by the Glue script on local Spark, checked against what was planted.

``post_network`` runs while the demo's API is up; ``run_stage`` after it has stopped (the lake then
holds the posts). The figures go to ``report.json`` under ``influencers`` (the dev host writes it).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rich.console import Console
from rich.table import Table

from audience.datagen.social import SocialConfig, SocialNetwork, generate_network
from audience.influencers import wiring
from audience.influencers.allocation import AllocationRequest, allocate, candidates_from_run
from audience.influencers.settings import InfluencerSettings

DEMO_BUDGET = 3000.0


def post_network(url: str, api_key: str, seed: int = 7) -> tuple[SocialNetwork, dict[str, Any]]:
    started = time.perf_counter()
    network = generate_network(SocialConfig(seed=seed))
    sink = wiring.post_sink(InfluencerSettings(api_url=url, api_key=api_key))
    batches = [network.posts[i : i + 500] for i in range(0, len(network.posts), 500)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        stored = sum(pool.map(sink.send, batches))
    return network, {
        "posts": len(network.posts),
        "stored": stored,
        "seconds": round(time.perf_counter() - started, 2),
    }


def run_stage(
    settings: InfluencerSettings,
    network: SocialNetwork,
    posted: dict[str, Any],
    console: Console,
    *,
    engine: str = "duckdb",
) -> dict[str, Any]:
    """``engine``: ``duckdb`` (the in-process path, within the demo's time budget) or ``spark`` (the
    Glue script on local Spark, as ``make influencers`` runs it)."""
    started = time.perf_counter()
    console.print()
    console.rule("Influencers: social posts -> cascades and influence scores -> budget allocation")
    console.print(
        f"  {posted['posts']:,} generated posts ({len(network.planted)} planted influencers, "
        f"{len(network.planted_small)} of them small; {len(network.rings)} bot rings) posted to "
        f"POST /social/posts in {posted['seconds']} s"
    )
    if engine == "spark":
        job = wiring.run_scoring_job(settings, network.as_of.isoformat())
    else:
        job = wiring.score_lake(settings, network.as_of)
    console.print(f"  scoring ({engine}): {job}")
    run = wiring.result_store(settings).latest_run()
    if run is None:
        raise RuntimeError("the scoring job stored no run")

    leaders = run["leaderboard"]
    top20 = [r["author_id"] for r in leaders[:20]]
    planted = set(network.planted)
    precision = sum(a in planted for a in top20) / 20
    small_found = sum(a in set(network.planted_small) for a in top20)
    recall_50 = sum(r["author_id"] in planted for r in leaders[:50]) / len(planted)
    by_followers = sorted(network.followers, key=lambda a: -network.followers[a])[:20]
    follower_precision = sum(a in planted for a in by_followers) / 20

    table = Table(
        title=f"Top influencers (precision@20 vs planted {precision:.2f}; by followers {follower_precision:.2f})"
    )
    for column in ("rank", "account", "score", "followers", "authentic reshares", "planted", "top signals"):
        table.add_column(
            column,
            justify="right" if column in ("rank", "score", "followers", "authentic reshares") else "left",
        )
    for r in leaders[:12]:
        shares = sorted(r["score_shares"].items(), key=lambda kv: -kv[1])[:2]
        table.add_row(
            str(r["rank"]),
            r["author_id"],
            f"{r['influence_score']:.1f}",
            f"{int(r['signals']['followers'] or 0):,}",
            f"{int(r['signals']['authentic_reshares'] or 0):,}",
            "yes" + (" (small)" if r["author_id"] in network.planted_small else "")
            if r["author_id"] in planted
            else "",
            ", ".join(f"{k} {v:.0%}" for k, v in shares),
        )
    console.print(table)

    found_rings = [set(r) for r in run["rings"]]
    ring_rows = []
    for ring in network.rings:
        best = max((len(set(ring) & f) for f in found_rings), default=0)
        ring_rows.append({"members": len(ring), "flagged_together": best})
    rings_flagged = sum(1 for r in ring_rows if r["flagged_together"] == r["members"])
    console.print(
        f"  bot rings flagged: {rings_flagged}/{len(network.rings)} "
        f"({', '.join(str(r['flagged_together']) + '/' + str(r['members']) for r in ring_rows)} members found together); "
        f"{run['summary']['flagged_accounts']} accounts flagged in all"
    )

    allocation = allocate(candidates_from_run(run), AllocationRequest(budget=DEMO_BUDGET))
    summary = allocation.summary()
    alloc = Table(title=f"Budget {DEMO_BUDGET:,.0f}: optimal (MILP, HiGHS) vs naive (top by followers)")
    for column in ("plan", "influencers", "cost", "engaged reach", "cost / engagement"):
        alloc.add_column(column, justify="left" if column == "plan" else "right")
    for name in ("optimal", "naive"):
        p = summary[name]
        alloc.add_row(
            name,
            str(p["influencers"]),
            f"{p['cost']:,.0f}",
            f"{p['expected_engaged_reach']:,.0f}",
            str(p["cost_per_engagement"]),
        )
    console.print(alloc)
    console.print(
        f"  allocation reach vs naive: {summary['reach_vs_naive']}x (solved in {summary['seconds']} s)"
    )
    stage_seconds = round(time.perf_counter() - started + posted["seconds"], 1)
    return {
        "posts": posted["posts"],
        "authors": run["summary"]["authors"],
        "cascades": run["summary"]["cascades"],
        "planted": len(planted),
        "planted_precision_at_20": round(precision, 3),
        "followers_precision_at_20": round(follower_precision, 3),
        "planted_small_in_top_20": small_found,
        "planted_recall_at_50": round(recall_50, 3),
        "rings": len(network.rings),
        "rings_flagged": rings_flagged,
        "flagged_accounts": run["summary"]["flagged_accounts"],
        "allocation_budget": DEMO_BUDGET,
        "allocation": summary,
        "allocation_reach_vs_naive": summary["reach_vs_naive"],
        "scoring_engine": engine,
        "scoring_job": job,
        "stage_seconds": stage_seconds,
    }
