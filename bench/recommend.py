"""Recommendations: quality on real data, training/batch time at two sizes, serving latency.

* Quality: MovieLens ml-latest-small and the bingewatch sample, read in place from
  ``../shared/data`` (``AUDIENCE_SHARED_DATA`` overrides; skipped with the reason when absent).
  Split: each user's newest 20% of interactions by time held out, every rating an interaction.
  Baselines in the same run: Popularity-Count (AWS's advice) and our baseline; figures are means
  over users with 95% bootstrap intervals, and the stand-in/popularity ratios have paired
  bootstrap intervals.
* Time: fit + top-25 for every user, for popularity (the same run's floor), the baseline and the
  stand-in, on ml-latest-small and on a 1,000,000-interaction generated set.
* Serving: ``GET /recommendations/{user_id}`` on the local server against ``GET /health`` on the
  same server (p50/p99 over loopback, sequential).
* The simulated A/B without HTTP: on the demo's generated history (seed 7, 2,000 users, 2,000
  items, 300,000 events over 91 days; skips left out as the export does), each recipe's top 10 for
  the demo's 1,200 sampled users, scored with the expected click-through of the A/B's response
  model under the generator's true interest (:func:`audience.recommend.simulation.click_probability`),
  against the shipped baseline in the same run, with a ceiling: each user's 10 unseen items of
  highest true interest. Also the baseline with its genre/type lift sharpened (``preference_strength``
  2 and 4): the stand-in must win on what genres cannot say, not on the baseline's weighting.

``python -m bench.recommend [--quick]`` runs it alone; ``make bench`` runs it with the rest.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from audience.recommend.data import Dataset, InteractionLog, Item, read_interactions, read_items
from audience.recommend.evaluate import holdout_evaluation, train_and_recommend
from audience.recommend.wiring import RECIPES, recommender

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AUDIENCE_SHARED_DATA", ROOT.parent / "shared" / "data"))
MOVIELENS_CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. "
    "ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1-19:19. https://doi.org/10.1145/2827872"
)


def movielens(folder: Path) -> tuple[InteractionLog, list[Item]]:
    with (folder / "ratings.csv").open(newline="", encoding="utf-8") as f:
        rows = [(r["userId"], r["movieId"], int(r["timestamp"]), "rating") for r in csv.DictReader(f)]
    with (folder / "movies.csv").open(newline="", encoding="utf-8") as f:
        items = [
            Item(
                r["movieId"],
                frozenset(g for g in r["genres"].split("|") if g and g != "(no genres listed)"),
                title=r["title"],
            )
            for r in csv.DictReader(f)
        ]
    return InteractionLog.from_rows(rows), items


def _quality_summary(report: dict[str, Any]) -> dict[str, Any]:
    acc = report["accuracy"]
    return {
        "dataset": report["dataset"],
        "split": report["split"],
        "users_evaluated": report["users_evaluated"],
        "train_interactions": report["train_interactions"],
        "holdout_interactions": report["holdout_interactions"],
        "accuracy": {
            r: {
                k: acc[r][k]
                for k in ("ndcg@5", "ndcg@10", "ndcg@25", "precision@10", "mrr@25", "recall@20", "coverage")
            }
            for r in acc
        },
        "personalize_vs_popularity": acc["personalize"]["vs_popularity"],
        "baseline_vs_popularity": acc["baseline"]["vs_popularity"],
        "lists": {k: report["lists"][k] for k in ("overlap_at_k", "jaccard", "rbo", "kendall_tau")},
    }


def quality() -> dict[str, Any]:
    out: dict[str, Any] = {}
    ml = SHARED / "movielens-small"
    if (ml / "ratings.csv").is_file():
        log, items = movielens(ml)
        report = holdout_evaluation(
            log, items, [recommender(n) for n in RECIPES], dataset="MovieLens ml-latest-small"
        )
        out["movielens"] = {**_quality_summary(report), "citation": MOVIELENS_CITATION}
    else:
        out["movielens"] = {"skipped": f"{ml} not present (set AUDIENCE_SHARED_DATA)"}
    bw = SHARED / "bingewatch"
    if (bw / "interactions.csv").is_file():
        report = holdout_evaluation(
            read_interactions(bw / "interactions.csv"), read_items(bw / "items.csv"),
            [recommender(n) for n in RECIPES], dataset="bingewatch sample (AWS Personalize + Pinpoint sample)",
        )  # fmt: skip
        out["bingewatch"] = _quality_summary(report)
    else:
        out["bingewatch"] = {"skipped": f"{bw} not present"}
    return out


def generated(
    n_interactions: int, n_users: int, n_items: int, seed: int = 7
) -> tuple[InteractionLog, list[Item]]:
    """Users with a favourite genre among 12, items with Zipf popularity: a real-shaped 1M set."""
    rng = np.random.default_rng(seed)
    genres = np.array([f"g{k}" for k in range(12)])
    item_genre = rng.integers(0, 12, n_items)
    pop = 1.0 / np.arange(1, n_items + 1) ** 0.9
    rng.shuffle(pop)
    user_genre = rng.integers(0, 12, n_users)
    users = rng.integers(0, n_users, n_interactions)
    # 70% from the favourite genre (by popularity within it), 30% from anywhere by popularity.
    by_genre = [np.flatnonzero(item_genre == g) for g in range(12)]
    p_by_genre = [pop[ix] / pop[ix].sum() for ix in by_genre]
    items = rng.choice(n_items, n_interactions, p=pop / pop.sum())
    fav = rng.random(n_interactions) < 0.7
    for g in range(12):
        sel = fav & (user_genre[users] == g)
        items[sel] = rng.choice(by_genre[g], int(sel.sum()), p=p_by_genre[g])
    ts = 1_700_000_000 + rng.integers(0, 60 * 86_400, n_interactions)
    log = InteractionLog(
        np.array([f"u{u}" for u in users], dtype=object),
        np.array([f"i{i}" for i in items], dtype=object),
        ts.astype(np.int64),
        np.full(n_interactions, "view", dtype=object),
        np.ones(n_interactions),
    )
    catalog = [
        Item(f"i{i}", frozenset({str(genres[item_genre[i]])}), "video", 1_690_000_000) for i in range(n_items)
    ]
    return log, catalog


def timing(log: InteractionLog, catalog: list[Item], label: str) -> dict[str, Any]:
    data = Dataset.build(log, catalog)
    users = [str(u) for u in data.users]
    out: dict[str, Any] = {
        "dataset": label,
        "interactions": len(log),
        "users": len(users),
        "items": int(data.in_catalog.sum()),
    }
    for name in RECIPES:
        t0 = time.perf_counter()
        trained = train_and_recommend(data, [recommender(name)], users, 25)
        total = time.perf_counter() - t0
        out[name] = {
            "train_s": trained.train_seconds[name],
            "batch_s": trained.infer_seconds[name],
            "total_s": total,
        }
    floor = out["popularity"]["total_s"]
    for name in ("baseline", "personalize"):
        out[name]["vs_popularity"] = out[name]["total_s"] / floor
    return out


def serving(n: int) -> dict[str, Any]:
    """p50/p99 of GET /recommendations/{id} against GET /health on one local server."""
    import signal
    import subprocess

    import httpx

    from audience.recommend.adapters.local.sqlite_table import SqliteRecommendationTable
    from audience.recommend.ports import StoredList
    from bench.ingest import _free_port

    key = "bench-key"
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        table = SqliteRecommendationTable(home / "state" / "recommendations.db")
        lists = [
            StoredList(f"u{k}", v, [f"i{j}" for j in range(25)], [1.0] * 25, "bench", "2026-11-30T00:00:00Z")
            for k in range(2000) for v in ("baseline", "personalize")
        ]  # fmt: skip
        table.put_lists(lists, 86_400)
        port = _free_port()
        env = {**os.environ, "AUDIENCE_HOME": str(home), "AUDIENCE_API_KEY": key, "AUDIENCE_BACKEND": "local"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "devhost.cli", "serve", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("the local server did not answer /health within 30 s")
            rng = np.random.default_rng(0)
            with httpx.Client(headers={"x-api-key": key}, timeout=10) as client:
                for _ in range(20):  # warm-up
                    client.get(f"{url}/health")
                    client.get(f"{url}/recommendations/u1")
                rec, health = [], []
                for k in rng.integers(0, 2000, n):
                    t0 = time.perf_counter()
                    r = client.get(f"{url}/recommendations/u{k}", params={"num_results": 10})
                    rec.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, r.text
                    t0 = time.perf_counter()
                    client.get(f"{url}/health")
                    health.append((time.perf_counter() - t0) * 1000)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)

    def pct(xs: list[float], q: float) -> float:
        return float(np.percentile(xs, q))

    return {
        "requests": n,
        "recommendations_p50_ms": pct(rec, 50),
        "recommendations_p99_ms": pct(rec, 99),
        "health_p50_ms": pct(health, 50),
        "health_p99_ms": pct(health, 99),
        "p50_vs_health": statistics.median(rec) / statistics.median(health),
    }


def simulated_ab(events: int = 300_000, n_sampled: int = 1_200, num_results: int = 10) -> dict[str, Any]:
    """Expected click-through per recipe on the demo's history (see the module docstring)."""
    import random
    from datetime import UTC, datetime

    from audience.datagen import GeneratorConfig, catalog, generate
    from audience.datagen.oracle import TrueInterest
    from audience.recommend.recipes import Baseline, BaselineConfig
    from audience.recommend.simulation import click_probability

    config = GeneratorConfig(
        seed=7, n_users=2_000, n_content=2_000, target_events=events, window_days=91,
        now=datetime(2026, 11, 30, 12, tzinfo=UTC),
    )  # fmt: skip
    rows = [
        (p["user_id"], p["content_id"], _epoch(p["timestamp"]), p["event_type"])
        for e in generate(config)
        if e.defect is None and not e.is_retry and (p := e.payload)["event_type"] != "skip"
    ]
    items = [Item(c.content_id, frozenset(c.genres), c.content_type) for c in catalog(config)]
    data = Dataset.build(InteractionLog.from_rows(rows), items)
    sample = random.Random("7:recommendations-ab").sample(
        sorted(data.user_index), min(n_sampled, data.n_users)
    )
    interest = TrueInterest(config)

    recipes: list[Any] = [recommender(name) for name in RECIPES] + [
        recommender("baseline", baseline_mode="item-cf")
    ]
    recipes[-1].name = "baseline item-cf"
    for strength in (2.0, 4.0):
        sharpened = Baseline(BaselineConfig(preference_strength=strength))
        sharpened.name = f"baseline, lift^{strength:g}"
        recipes.append(sharpened)
    trained = train_and_recommend(data, recipes, sample, num_results)
    ctr = {
        name: float(np.mean([click_probability(u, lists[u], interest) for u in sample]))
        for name, lists in trained.lists.items()
    }
    seen = data.matrix(binary=True)
    catalogue = [str(x) for x in data.items[data.in_catalog]]
    ceiling = []
    for u in sample:
        own = {
            str(data.items[i])
            for i in seen.indices[seen.indptr[data.user_index[u]] : seen.indptr[data.user_index[u] + 1]]
        }
        best = sorted((i for i in catalogue if i not in own), key=lambda i: -interest(u, i))[:num_results]
        ceiling.append(click_probability(u, best, interest))
    ctr["ceiling (true interest)"] = float(np.mean(ceiling))
    base = ctr["baseline"]
    return {
        "history": f"seed 7, 2,000 users, 2,000 items, {events:,} events over 91 days ({len(rows):,} interactions)",
        "users": len(sample),
        "num_results": num_results,
        "expected_ctr": {name: round(v, 4) for name, v in ctr.items()},
        "vs_baseline": {name: round(v / base, 3) for name, v in ctr.items()},
    }


def _epoch(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def run(quick: bool = False, progress: Any = print) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    progress("recommendations: quality on MovieLens and bingewatch")
    figures["quality"] = quality()
    progress("recommendations: training and batch time")
    timings = []
    ml = SHARED / "movielens-small"
    if (ml / "ratings.csv").is_file():
        timings.append(timing(*movielens(ml), "MovieLens ml-latest-small"))
    size = 200_000 if quick else 1_000_000
    timings.append(timing(*generated(size, size // 50, 4_000), f"generated, {size:,} interactions"))
    figures["timing"] = timings
    progress("recommendations: serving latency")
    figures["serving"] = serving(100 if quick else 500)
    progress("recommendations: the simulated A/B's expected click-through on the demo's history")
    figures["simulated_ab"] = simulated_ab(100_000 if quick else 300_000)
    return figures


def print_tables(figures: dict[str, Any], console: Any, table_cls: Any) -> None:
    for name, q in figures["quality"].items():
        if "skipped" in q:
            console.print(f"recommendations quality on {name}: skipped ({q['skipped']})")
            continue
        t = table_cls(
            title=f"Recommendations on {q['dataset']}: {q['split']}; {q['users_evaluated']:,} users"
        )
        for col in ("recipe", "NDCG@10 [95% CI]", "recall@20", "MRR@25", "precision@10", "coverage"):
            t.add_column(col, justify="left" if col == "recipe" else "right")
        for r in ("popularity", "baseline", "personalize"):
            a = q["accuracy"][r]
            t.add_row(r, f"{a['ndcg@10']['value']:.4f} [{a['ndcg@10']['low']:.4f}, {a['ndcg@10']['high']:.4f}]",
                      f"{a['recall@20']['value']:.4f}", f"{a['mrr@25']['value']:.4f}", f"{a['precision@10']['value']:.4f}", f"{a['coverage']:.1%}")  # fmt: skip
        console.print(t)
        v = q["personalize_vs_popularity"]
        console.print(
            f"  stand-in / popularity: NDCG@10 {v['ndcg@10']['value']:.2f}x [{v['ndcg@10']['low']:.2f}, {v['ndcg@10']['high']:.2f}], "
            f"recall@20 {v['recall@20']['value']:.2f}x [{v['recall@20']['low']:.2f}, {v['recall@20']['high']:.2f}]"
        )
    t = table_cls(title="Recommendations: fit + top-25 for every user (seconds)")
    for col in ("dataset", "popularity", "baseline", "personalize (EASE)", "EASE vs popularity"):
        t.add_column(col, justify="left" if col == "dataset" else "right")
    for row in figures["timing"]:
        t.add_row(row["dataset"], f"{row['popularity']['total_s']:.2f}", f"{row['baseline']['total_s']:.2f}",
                  f"{row['personalize']['total_s']:.2f} (train {row['personalize']['train_s']:.1f})", f"{row['personalize']['vs_popularity']:.0f}x")  # fmt: skip
    console.print(t)
    ab = figures.get("simulated_ab")
    if ab:
        t = table_cls(
            title=f"Simulated A/B, expected click-through of a top {ab['num_results']} ({ab['users']:,} users; {ab['history']})"
        )
        for col in ("recipe", "expected click-through", "vs baseline"):
            t.add_column(col, justify="left" if col == "recipe" else "right")
        for name, value in ab["expected_ctr"].items():
            t.add_row(name, f"{value:.1%}", f"{ab['vs_baseline'][name]:.2f}x")
        console.print(t)
    s = figures["serving"]
    console.print(
        f"GET /recommendations p50 {s['recommendations_p50_ms']:.1f} ms / p99 {s['recommendations_p99_ms']:.1f} ms "
        f"vs /health p50 {s['health_p50_ms']:.1f} / p99 {s['health_p99_ms']:.1f} ms ({s['p50_vs_health']:.2f}x at p50)"
    )


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from bench.machine import describe

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    console = Console()
    console.print(f"[bold]Recommendations benchmark[/bold] on {describe()}")
    figures = run(args.quick, progress=console.log)
    print_tables(figures, console, Table)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "recommend.json").write_text(json.dumps({"machine": describe(), **figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
