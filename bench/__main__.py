"""`make bench`: run the benchmarks, print a table, keep the figures in bench/results/latest.json."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import activation, counters, explorer, features, ingest
from bench import influencers as influencers_bench
from bench import insights as insights_bench
from bench import models as model_bench
from bench import recommend as recommend_bench
from bench.machine import describe

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    console = Console()
    machine = describe()
    console.print(f"[bold]Benchmarks[/bold] on {machine}")

    n_inproc, n_http = (8, 16) if args.quick else (40, 80)
    feature_sizes = (100_000, 400_000) if args.quick else (1_000_000, 4_000_000)
    with console.status("in-process handler…"):
        inproc = ingest.in_process(n_inproc)
    with console.status("the handler, block after block in one home…"):
        longer = ingest.long_run(4 if args.quick else 8, 20 if args.quick else 80)
    with console.status("the handler on the AWS path (boto3, network replaced)…"):
        aws = ingest.aws_path(8 if args.quick else 20)
    with console.status("local HTTP, 4 clients: the collector against 1 worker, alternating…"):
        coll = ingest.collector(n_http, rounds=1 if args.quick else 2)
    http, single = coll["collector"], coll["single"]

    table = Table(title="Ingestion (500-event batches)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("baseline (same run)", justify="right")
    table.add_column("ratio", justify="right")
    cpu = inproc["cpu"]
    for label, key in (
        ("handler", "handler"),
        ("validation only", "validation"),
        ("validation + records", "validation_build"),
    ):
        table.add_row(
            f"{label}, µs/event (wall | CPU)",
            f"{inproc[key + '_us_per_event']:.1f} | {cpu[key + '_us_per_event']:.1f}",
            f"parse+serialise {inproc['floor_us_per_event']:.2f} | {cpu['floor_us_per_event']:.2f}",
            f"{inproc[key + '_vs_floor']:.1f}x | {cpu[key + '_vs_floor']:.1f}x",
        )
    by_block = longer["cpu_us_per_event_by_block"]
    table.add_row(
        f"handler over {len(by_block) * longer['events_per_block']:,} events, µs/event CPU",
        f"last block {by_block[-1]:.1f}",
        f"first block {by_block[0]:.1f}",
        f"{longer['last_vs_first_block']:.2f}x",
    )
    table.add_row(
        "handler on the AWS path (boto3), µs/event CPU",
        f"{aws['handler_cpu_us_per_event']:.1f}",
        f"parse+serialise {aws['floor_cpu_us_per_event']:.2f}",
        f"{aws['handler_vs_floor']:.1f}x",
    )
    table.add_row(
        "HTTP events/s (4 clients)",
        f"{http['events_per_s']:,.0f}",
        f"no-op route {http['floor_events_per_s']:,.0f}",
        f"{http['throughput_vs_floor']:.2f}x",
    )
    table.add_row(
        "HTTP p50 / p99 ms",
        f"{http['p50_ms']:.0f} / {http['p99_ms']:.0f}",
        f"p50 {http['floor_p50_ms']:.0f}",
        "",
    )
    table.add_row(
        f"collector events/s ({http['workers']} workers vs 1)",
        f"{http['events_per_s']:,.0f}",
        f"1 worker {single['events_per_s']:,.0f}",
        f"{coll['speedup']:.2f}x",
    )
    table.add_row(
        "collector p99 ms / cores used",
        f"{http['p99_ms']:.0f} / {http['server_cores_used']:.2f}",
        f"1 worker {single['p99_ms']:.0f} / {single['server_cores_used']:.2f}",
        f"load avg {http['load_average']:.1f}",
    )
    console.print(table)

    with console.status("feature jobs: local Spark against DuckDB…"):
        feats = features.run(feature_sizes, progress=lambda message: console.log(message))
    ftable = Table(title="Feature jobs (as_of 2026-11-21, 28-day window)")
    for column in (
        "events",
        "Spark user x content",
        "DuckDB same features",
        "Spark / DuckDB (wall | CPU)",
        "rows (differing)",
        "Spark user / content jobs",
    ):
        ftable.add_column(column, justify="right")
    for size, r in feats["sizes"].items():
        ftable.add_row(
            f"{size:,}",
            f"{r['spark_user_content_s']:.1f} s ({r['spark_user_content_events_per_s']:,.0f}/s)",
            f"{r['duckdb_user_content_s']:.1f} s ({r['duckdb_user_content_events_per_s']:,.0f}/s)",
            f"{r['spark_vs_duckdb']:.1f}x | {r['spark_vs_duckdb_cpu']:.1f}x",
            f"{r['rows']:,} ({r['rows_differing']})",
            f"{r['spark_user_s']:.1f} s / {r['spark_content_s']:.1f} s",
        )
    console.print(ftable)
    if "growth" in feats:
        g = feats["growth"]
        console.print(
            f"{g['size_ratio']:.0f}x the events took {g['spark_time_ratio']:.2f}x the time on Spark "
            f"and {g['duckdb_time_ratio']:.2f}x on DuckDB"
        )

    with console.status("insights and dashboard API on a demo-sized lake…"):
        insights_result = insights_bench.run(
            20_000 if args.quick else 100_000, 10 if args.quick else 30, lambda message: console.log(message)
        )
    insights_bench.print_tables(insights_result, console, Table)
    with console.status("segment post-processing: a 1,000,000-user job output…"):
        act = activation.run(100_000 if args.quick else 1_000_000)
        act["memory"] = activation.peak_memory(100_000 if args.quick else 1_000_000)
    atable = Table(title=f"Segment post-processing ({act['users']:,} users, {act['segments']} segment)")
    for column in (
        "destination",
        "users/s",
        "baseline: parse JSON lines",
        "time vs baseline",
        "AWS API calls / segment",
    ):
        atable.add_column(column, justify="right" if column != "destination" else "left")
    atable.add_row(
        "files",
        f"{act['files_users_per_s']:,.0f}",
        f"{act['baseline_users_per_s']:,.0f}/s",
        f"{act['files_vs_baseline']:.1f}x",
        f"{act['files_api_calls_per_segment']:.0f}",
    )
    for name in ("pinpoint", "connect"):
        atable.add_row(
            name,
            f"{act[name]['users_per_s']:,.0f}",
            "",
            f"{act[name]['seconds'] / act['baseline_parse_s']:.1f}x",
            f"{act[name]['api_calls_per_segment']:.0f} ({', '.join(f'{k} {v}' for k, v in act[name]['api_calls'].items())})",
        )
    console.print(atable)
    console.print(
        f"the reference sample: {act['reference_sample_calls_per_segment']:,} API calls per segment (one per user)"
    )
    mem = act["memory"]
    console.print(
        f"files destination: {act['files_s']:.1f} s wall (target 5 s), {act['files_cpu_s']:.1f} s CPU "
        f"(first job of the process, 1,000 users: {act['first_call_s']:.1f} s); baseline parse "
        f"{act['baseline_cpu_s']:.2f} s CPU; peak memory of the job {mem['job_peak_mib']:,.0f} MiB "
        f"(Arrow pool {mem['arrow_peak'] / 2**20:,.0f} MiB, Python {mem['python_peak'] / 2**20:,.0f} MiB)"
    )
    with console.status("hot counters: a Zipf stream at 100,000 events/s against a throttling DynamoDB…"):
        hot = counters.run(20_000 if args.quick else 100_000, 3)
    htable = Table(
        title=f"Hot counters ({hot['events_per_second']:,} events/s, Zipf {hot['zipf_exponent']}, limit {hot['partition_limit_wcu_s']:,} WCU/s per partition)"
    )
    for column in (
        "",
        "max WCU/s asked of a partition (last second)",
        "max writes/s on one item",
        "throttled transactions",
        "failed requests",
        "hottest content: shards",
        "exact",
    ):
        htable.add_column(column, justify="right" if column else "left")
    for name in ("unsharded", "sharded"):
        r = hot[name]
        htable.add_row(
            name,
            f"{r['max_demanded_wcu_per_partition_s']:,} ({r['max_demanded_wcu_last_second']:,})",
            f"{r['max_writes_per_item_s']:,}",
            f"{r['throttled_transactions']:,}",
            f"{r['failed_requests']:,} ({r['failed_requests_share']:.1%})",
            f"{r['hottest_content_shards']}",
            "yes" if r["exact"] else "NO",
        )
    console.print(htable)
    model_figures = run_models(console, args.quick)
    explorer_figures = explorer_tables(console, args.quick)
    recommend_figures = recommend_bench.run(args.quick, progress=console.log)
    recommend_bench.print_tables(recommend_figures, console, Table)
    with console.status("influencers: Twitter15, auspol, generated network, Spark vs DuckDB, allocation…"):
        influencer_figures = influencers_bench.run(args.quick)
    influencers_bench.print_tables(influencer_figures, console, Table)

    RESULTS.mkdir(exist_ok=True)
    out = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "quick": args.quick,
        "ingest_in_process": inproc,
        "ingest_aws_path": aws,
        "ingest_long_run": longer,
        "ingest_http": http,
        "ingest_collector": coll,
        "features": feats,
        "insights": insights_result,
        "activation": act,
        "hot_counters": hot,
        "models": model_figures,
        "explorer": explorer_figures,
        "recommend": recommend_figures,
        "influencers": influencer_figures,
    }
    (RESULTS / "latest.json").write_text(json.dumps(out, indent=2) + "\n")
    console.print(f"figures written to {RESULTS / 'latest.json'}")


def run_models(console: Console, quick: bool) -> dict[str, object]:
    """The models' training time at two sizes and handler latency (bench/models.py)."""
    sizes = (
        {"engagement": (4_000, 16_000), "churn": (2_000, 8_000)}
        if quick
        else {"engagement": (20_000, 80_000), "churn": (5_000, 20_000)}
    )
    with console.status("models: training and inference through the handlers…"):
        figures = model_bench.run(sizes, progress=lambda message: console.log(message))
    table = Table(title="Models (script-mode train(), handlers input_fn → predict_fn → output_fn)")
    for column in ("model", "measure", "value", "baseline (same run)", "ratio"):
        table.add_column(column, justify="left" if column in ("model", "measure") else "right")
    for model, r in figures.items():
        for run in r["training"]:
            table.add_row(
                model,
                f"train {run['rows']:,} rows, s",
                f"{run['seconds']:.2f}",
                f"linear fit {run['linear_seconds']:.3f}",
                f"{run['ratio']:.0f}x",
            )
        inf = r["inference"]
        table.add_row(
            model, "1 row per request, µs/row", f"{inf['single_row_us']:,.0f}",
            f"predict {inf['single_row_direct_us']:,.0f}", f"{inf['single_ratio']:.1f}x",
        )  # fmt: skip
        table.add_row(
            model, "1,000-row requests, µs/row", f"{inf['batch_row_us']:,.1f}",
            f"predict {inf['batch_row_direct_us']:,.1f}", f"{inf['batch_ratio']:.1f}x",
        )  # fmt: skip
    console.print(table)
    return figures


def explorer_tables(console: Console, quick: bool) -> dict[str, object]:
    sizes = (20_000, 100_000) if quick else (100_000, 1_000_000)
    with console.status("explorer: segmentation…"):
        seg = explorer.segmentation(sizes, progress=lambda message: console.log(message))
    with console.status("explorer: segment-detail API…"):
        api = explorer.api_latency(200 if quick else 500)
    table = Table(title="Explorer segmentation (k=6; baseline: k-means fitted on every user, same run)")
    for column in (
        "users",
        "ours (encode + k-means + profiles)",
        "k-means: sample fit",
        "baseline full fit",
        "speed-up",
        "agreement ARI",
        "ARI vs planted",
        "k search",
        "HDBSCAN",
    ):
        table.add_column(column, justify="right")
    for r in seg.values():
        table.add_row(
            f"{r['users']:,}",
            f"{r['ours_total_s']:.1f} s ({r['users_per_s']:,}/s)",
            f"{r['kmeans_sample_fit_predict_s']:.1f} s",
            f"{r['baseline_kmeans_full_fit_s']:.1f} s",
            f"{r['kmeans_speedup_vs_full_fit']}x",
            f"{r['agreement_ari_sample_vs_full']:.3f}",
            f"{r['ari_vs_planted']:.3f}",
            f"{r['choose_k_s']:.1f} s",
            f"{r['hdbscan_s']:.1f} s",
        )
    console.print(table)
    console.print(
        f"segment-detail API: p50 {api['detail_p50_ms']} ms, p95 {api['detail_p95_ms']} ms "
        f"({api['p95_vs_health']}x /health's p95 {api['health_p95_ms']} ms); "
        f"lookalike of 1,000 over 5,000 users {api['lookalike_5000_users_ms']} ms"
    )
    return {"segmentation": seg, "api": api}


if __name__ == "__main__":
    main()
