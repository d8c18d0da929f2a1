"""The demo's recommendations stage (issue 14): train both recommenders, store and serve their lists over HTTP
to simulated users, post what those users do through the API, and compare the arms from the lake.

1. :func:`~audience.recommend.stage.run_local` on the Personalize export the segment stage wrote:
   both lists in Personalize's batch output format, the table, the offline comparison.
2. The local API is started; sampled generator users (latent interests known only to the
   simulation) ask ``GET /recommendations/{user_id}`` (arm by stable hash), respond as
   :mod:`.simulation` says, and their events go to ``POST /events`` with ``recommendation_id``.
3. After the server stops (the lake is flushed), the online SQL runs on DuckDB over the lake; the
   returned section is what the demo writes to ``report.json`` under ``recommendations``.
"""

from __future__ import annotations

import csv
import json
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from audience.models.stage import GROUND_TRUTH
from audience.recommend.online import ONLINE_SQL, analyse, bind, outcomes
from audience.recommend.settings import RecommendSettings
from audience.recommend.simulation import Interest, SimItem, SimUser, respond, sample_users
from audience.recommend.stage import run_local
from audience.recommend.wiring import online_query, recipe_factories, recommendations_table

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class StageConfig:
    users: int = 1200
    rounds: int = 2
    num_results: int = 10
    seed: int = 7
    workers: int = 4


Server = Callable[[], tuple[str, str, Callable[[], None]]]
"""Starts the local API; returns its base URL, the API key and a function that stops it."""


def _sim_items(catalog_csv: Path) -> dict[str, SimItem]:
    with catalog_csv.open(newline="", encoding="utf-8") as f:
        return {
            row["content_id"]: SimItem(row["content_id"], float(row["duration_seconds"]))
            for row in csv.DictReader(f)
        }


def _audience(home: Path, seed: int) -> tuple[list[SimUser], Interest]:
    """The generator's users and their true interest, for the configuration the demo generated
    with (``ground-truth.json``; else the default one of ``seed``)."""
    from audience.datagen import GeneratorConfig
    from audience.datagen.oracle import TrueInterest
    from audience.datagen.users import users

    truth = home / GROUND_TRUTH
    if truth.is_file():
        spec = json.loads(truth.read_text())
        config = GeneratorConfig(seed=spec["seed"], n_users=spec["n_users"], n_content=spec["n_content"])
    else:
        config = GeneratorConfig(seed=seed)
    people = [
        SimUser(p.user_id, p.preferred_surface.platform, p.preferred_surface.device_type, p.country)
        for p in users(config)
    ]
    return people, TrueInterest(config)


def simulate(
    url: str,
    api_key: str,
    users: list[SimUser],
    items: dict[str, SimItem],
    interest: Interest,
    config: StageConfig,
) -> dict[str, int]:
    """Serve each user ``rounds`` lists over HTTP and post the events they cause."""
    headers = {"x-api-key": api_key}
    counts = {"served": 0, "events": 0, "rejected": 0, "errors": 0}

    def one(user: SimUser, round_: int, client: httpx.Client) -> list[dict[str, Any]]:
        r = client.get(f"{url}/recommendations/{user.user_id}", params={"num_results": config.num_results})
        if r.status_code != 200:
            counts["errors"] += 1
            return []
        counts["served"] += 1
        rng = random.Random(f"{config.seed}:{user.user_id}:{round_}")
        return respond(user, r.json(), items, interest, rng, datetime.now(UTC))

    with httpx.Client(headers=headers, timeout=30) as client, ThreadPoolExecutor(config.workers) as pool:
        for round_ in range(config.rounds):
            pending: list[dict[str, Any]] = []
            for events in pool.map(one, users, [round_] * len(users), [client] * len(users)):
                pending += events
            for start in range(0, len(pending), 500):
                batch = pending[start : start + 500]
                r = client.post(f"{url}/events", json={"events": batch})
                body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                counts["events"] += int(body.get("accepted", 0))
                counts["rejected"] += len(body.get("rejected", []))
    return counts


def recommendations_stage(
    home: Path, data_dir: Path, console: Console, server: Server, config: StageConfig | None = None
) -> dict[str, Any]:
    config = config or StageConfig()
    started = time.perf_counter()
    console.print()
    console.rule("Recommendations: baseline vs the Personalize stand-in, offline and in a live A/B")
    settings = RecommendSettings(home=home)
    datasets = home / "personalize" / "datasets"
    report = run_local(
        home=home,
        interactions=datasets / "interactions.csv",
        items=datasets / "items.csv",
        users=datasets / "users.csv",
        recommenders=recipe_factories(),
        table=recommendations_table(settings),
        catalog_csv=data_dir / "content_catalog.csv",
        num_results=25,
        ttl_seconds=settings.recommendation_ttl_seconds,
        progress=lambda message: console.print(f"  {message}"),
    )
    offline = report["offline"]
    acc = offline["accuracy"]
    table = Table(title=f"Offline, {offline['split']} ({offline['users_evaluated']:,} users)")
    for column in ("recipe", "NDCG@10", "recall@20", "MRR@25", "precision@10", "coverage"):
        table.add_column(column, justify="left" if column == "recipe" else "right")
    for name in ("popularity", "baseline", "personalize"):
        a = acc[name]
        table.add_row(
            name,
            f"{a['ndcg@10']['value']:.4f} [{a['ndcg@10']['low']:.4f}, {a['ndcg@10']['high']:.4f}]",
            f"{a['recall@20']['value']:.4f}",
            f"{a['mrr@25']['value']:.4f}",
            f"{a['precision@10']['value']:.4f}",
            f"{a['coverage']:.1%}",
        )
    console.print(table)

    known = set()
    with (datasets / "interactions.csv").open(newline="") as f:
        known = {row["USER_ID"] for row in csv.DictReader(f)}
    people, interest = _audience(home, config.seed)
    users = sample_users([u for u in people if u.user_id in known], config.users, config.seed)
    items = _sim_items(data_dir / "content_catalog.csv")
    console.print(
        f"  serving {len(users):,} simulated users x {config.rounds} rounds over HTTP, posting their events"
    )
    url, api_key, stop = server()
    try:
        counts = simulate(url, api_key, users, items, interest, config)
    finally:
        stop()
    rows = outcomes(online_query(settings).run(ONLINE_SQL, bind({"window_seconds": WINDOW_SECONDS})))
    ab = analyse(rows)
    result = Table(
        title=f"Live A/B ({ab['lists']:,} lists; click = a view of a listed item within {WINDOW_SECONDS // 60} min)"
    )
    for column in ("variant", "served", "click-through [95% CI]", "watch s/list [95% CI]", "completion"):
        result.add_column(column, justify="left" if column == "variant" else "right")
    for variant in ("baseline", "personalize"):
        v = ab.get(variant)
        if v:
            result.add_row(
                variant,
                f"{v['served']:,}",
                f"{v['ctr']:.1%} [{v['ctr_ci'][0]:.1%}, {v['ctr_ci'][1]:.1%}]",
                f"{v['watch_time']:.0f} [{v['watch_time_ci'][0]:.0f}, {v['watch_time_ci'][1]:.0f}]",
                f"{v['completion']:.1%}",
            )
    console.print(result)
    tests = ab.get("tests", {})
    if tests:
        console.print(
            f"  personalize - baseline click-through: {tests['ctr_difference']:+.1%} "
            f"(z = {tests['ctr_z']:.2f}, p = {tests['ctr_p_value']:.2g}); watch time Welch p = {tests['watch_time_p_value']:.2g}; "
            f"intervals {'overlap' if tests['ctr_intervals_overlap'] else 'do not overlap'}"
        )
    elapsed = time.perf_counter() - started
    section: dict[str, Any] = {
        "offline": _offline_summary(offline),
        "ab": {
            **{
                v: {
                    "served": ab[v]["served"],
                    "ctr": ab[v]["ctr"],
                    "ctr_ci": ab[v]["ctr_ci"],
                    "watch_time": ab[v]["watch_time"],
                    "watch_time_ci": ab[v]["watch_time_ci"],
                    "completion": ab[v]["completion"],
                }
                for v in ("baseline", "personalize")
                if v in ab
            },
            "tests": tests,
            "window_seconds": WINDOW_SECONDS,
            "simulated_users": len(users),
            "requests": counts,
        },
        "stage_seconds": round(elapsed, 1),
    }
    (home / "recommend" / "ab.json").write_text(json.dumps(ab, indent=2) + "\n")
    console.print(
        f"[dim]stage took {elapsed:.1f} s; lists in {home / 'recommend' / 'batch'}; section 'recommendations' of report.json[/dim]"
    )
    return section


def _offline_summary(offline: dict[str, Any]) -> dict[str, Any]:
    acc = offline["accuracy"]
    return {
        "split": offline["split"],
        "users_evaluated": offline["users_evaluated"],
        "accuracy": {
            name: {k: acc[name][k] for k in ("ndcg@10", "recall@20", "mrr@25", "precision@10", "coverage")}
            for name in acc
        },
        "vs_popularity": acc["personalize"].get("vs_popularity"),
        "lists": {k: offline["lists"][k] for k in ("overlap_at_k", "jaccard", "rbo", "kendall_tau")},
        "exposure": {
            k: v
            for k, v in offline["exposure"].items()
            if k in ("baseline", "personalize", "only_personalize")
        },
    }
