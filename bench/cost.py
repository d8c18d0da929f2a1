"""AWS cost per million events and per month, from our own measured figures and public prices.

``python -m bench.cost`` prints the tables of docs/scale.md. Inputs are of three kinds, and each
figure says which it is:

* **measured** here, by running our code: the handler's CPU per event on the AWS path (its boto3
  calls included, the network replaced: bench/ingest_aws.py; or the value passed in), the JSON line Firehose receives per event, the Parquet bytes per event of a
  generated lake, DynamoDB write and read units per event and the transactions per request (the
  real counter store against the load model's table, bench/counters.py);
* **prices**: ``PRICES``, us-east-1 list prices, each with its source and the date it was read;
* **assumptions** about the workload (client batch size, query and training volumes, AWS-side
  call latencies), in ``Workload``: change them and rerun.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audience.ingest.adapters.aws.firehose import PACKED_RECORD_BYTES

PRICES_READ = "2026-11-30"
PRICES: dict[str, tuple[float, str]] = {
    # API Gateway REST API, per million requests: first 333 M / next 667 M / next 19 B / beyond.
    "apigw_rest_tier1": (
        3.50,
        "AWS whitepaper 'Best Practices for Designing Amazon API Gateway Private APIs', Table 4",
    ),
    "apigw_rest_tier2": (2.80, "same"),
    "apigw_rest_tier3": (2.38, "same"),
    "apigw_rest_tier4": (1.51, "same"),
    "lambda_request_per_m": (0.20, "aws.amazon.com/lambda/pricing (x86, via public summaries)"),
    "lambda_gb_s": (0.0000166667, "aws.amazon.com/lambda/pricing (x86, first 6 B GB-s/month)"),
    "firehose_ingest_gb": (
        0.029,
        "aws.amazon.com/firehose/pricing: Direct PUT, first 500 TB/month, 5 KB increments per record",
    ),
    "firehose_conversion_gb": (
        0.018,
        "aws.amazon.com/firehose/pricing: format conversion to Parquet, per GB ingested",
    ),
    "ddb_wru_per_m": (0.625, "aws.amazon.com/dynamodb/pricing/on-demand (after the Nov 2024 reduction)"),
    "ddb_rru_per_m": (0.125, "same"),
    "ddb_storage_gb_month": (0.25, "same"),
    "s3_put_per_1000": (0.005, "aws.amazon.com/s3/pricing: S3 Standard PUT/COPY/POST/LIST"),
    "s3_get_per_1000": (0.0004, "aws.amazon.com/s3/pricing: S3 Standard GET/SELECT"),
    "s3_storage_gb_month": (0.023, "aws.amazon.com/s3/pricing: S3 Standard, first 50 TB"),
    "glue_dpu_hour": (
        0.44,
        "aws.amazon.com/glue/pricing: Spark jobs, per DPU-hour, billed per second, 1-minute minimum",
    ),
    "athena_tb_scanned": (5.00, "aws.amazon.com/athena/pricing: SQL queries, per TB scanned, 10 MB minimum"),
    "personalize_ingest_gb": (0.05, "aws.amazon.com/personalize/pricing: data ingestion per GB"),
    "personalize_training_hour": (
        0.24,
        "aws.amazon.com/personalize/pricing: per training hour (4 vCPU, 8 GiB)",
    ),
    "personalize_batch_per_1000_users": (
        0.016,
        "UNVERIFIED (not found through the search tool): batch user-segment output, per 1,000 users",
    ),
}


@dataclass(frozen=True)
class Workload:
    """Assumptions about how the platform is used; each is stated in docs/scale.md."""

    events_per_request: float = 10.0  # mobile clients flush small batches; 500 is the API's maximum
    lambda_memory_mb: int = 512  # template.yaml Globals
    dynamodb_batch_get_ms: float = 6.0  # in-region latencies, assumed
    firehose_put_batch_ms: float = 25.0
    dynamodb_transaction_ms: float = 12.0
    lambda_overhead_ms: float = 3.0  # Powertools, routing, response
    athena_queries_per_month: int = 3_000  # about 100 dashboard/insight queries a day, after the cache
    athena_column_share: float = 0.3  # a query reads about a third of the columns
    athena_window_days: int = 30
    glue_events_per_dpu_second: float = 62_000.0  # measured locally; see docs/scale.md
    glue_runs_per_month: int = 30  # the three feature jobs, daily, over a 28-day window
    glue_fixed_dpu_hours_per_run: float = 3 * 2 * 2 / 60  # 3 jobs x 2 DPU minimum x ~2 min start-up
    personalize_trainings_per_month: int = 4
    personalize_events_per_training_hour: float = 5_000_000.0  # assumed; confirm on the first run
    personalize_segment_users_per_month: float = 4 * 1_000_000  # weekly segments of 1 M users
    interaction_csv_bytes: float = 60.0


@dataclass(frozen=True)
class Measured:
    handler_cpu_us_per_event: float
    json_line_bytes: float
    parquet_bytes_per_event: float
    wru_per_event: float
    rru_per_event: float
    transactions_per_request: float
    dedup_item_bytes: float = 100.0
    dedup_ttl_days: float = 8.0


def measure(events_per_request: float, handler_cpu_us_per_event: float, lake: Path | None) -> Measured:
    """Run our own code for the per-event figures (seconds; no AWS involved)."""
    import json

    from audience.datagen import GeneratorConfig, generate
    from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore
    from audience.ingest.adapters.aws.dynamodb_transactions import plan_transactions
    from audience.ingest.service import IngestLimits, RequestContext, parse_body, validate_batch
    from bench.counters import ThrottlingTable

    now = datetime.now(UTC)
    config = GeneratorConfig(
        seed=5, target_events=4_000, now=now - timedelta(minutes=2), bad_share=0.0, duplicate_share=0.0
    )
    payloads = [dict(item.payload) for item in generate(config)][:3_000]
    for i, p in enumerate(payloads):
        p["event_id"] = f"cost-{i}"
    limits, ctx = IngestLimits(), RequestContext(request_id="cost", received_at=now)
    records = []
    for start in range(0, len(payloads), 500):
        body = json.dumps({"events": payloads[start : start + 500]}).encode()
        accepted, bad = validate_batch(parse_body(body, limits), limits, ctx)
        assert not bad
        records += accepted
    line_bytes = sum(len(r.to_json_line().encode()) for r in records) / len(records)

    clock = [now.timestamp()]
    table = ThrottlingTable(lambda: clock[0], limit=10**9)
    store = DynamoCounterStore(
        "t",
        dedup_ttl_seconds=8 * 86_400,
        client=table,
        clock=lambda: clock[0],
        sleep=lambda _: None,
        hot_writes_per_second=None,  # one frozen clock here: the rate rule would see every write at once
    )
    size = max(1, round(events_per_request))
    requests = [records[i : i + size] for i in range(0, len(records), size)]
    transactions = 0
    for request in requests:
        transactions += len(plan_transactions(request))
        store.apply(request)
    wru = sum(table.accepted.values()) / len(records)
    parquet = 67.0
    if lake is not None and lake.exists():
        files = list(lake.rglob("*.parquet"))
        import pyarrow.parquet as pq

        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        parquet = sum(f.stat().st_size for f in files) / max(rows, 1)
    return Measured(
        handler_cpu_us_per_event=handler_cpu_us_per_event,
        json_line_bytes=line_bytes,
        parquet_bytes_per_event=parquet,
        wru_per_event=wru,
        rru_per_event=1.0,  # the dedup pre-check: one strongly consistent read per event id
        transactions_per_request=transactions / len(requests),
    )


def _tiered(quantity_m: float) -> float:
    """API Gateway REST requests (millions) -> dollars, by tier."""
    tiers = [
        (333.0, "apigw_rest_tier1"),
        (667.0, "apigw_rest_tier2"),
        (19_000.0, "apigw_rest_tier3"),
        (math.inf, "apigw_rest_tier4"),
    ]
    left, cost = quantity_m, 0.0
    for size, key in tiers:
        take = min(left, size)
        cost += take * PRICES[key][0]
        left -= take
        if left <= 0:
            break
    return cost


def monthly(events: float, m: Measured, w: Workload) -> dict[str, float]:
    """Dollars per month, by service, for ``events`` events a month."""
    p = {k: v for k, (v, _) in PRICES.items()}
    requests = events / w.events_per_request
    vcpu_share = min(1.0, w.lambda_memory_mb / 1769)  # Lambda: one full vCPU at 1,769 MB
    cpu_ms = m.handler_cpu_us_per_event * w.events_per_request / 1000 / vcpu_share
    io_ms = (
        math.ceil(w.events_per_request / 100) * w.dynamodb_batch_get_ms
        + math.ceil(w.events_per_request / 500) * w.firehose_put_batch_ms
        + m.transactions_per_request * w.dynamodb_transaction_ms
    )
    duration_s = (cpu_ms + io_ms + w.lambda_overhead_ms) / 1000
    gb_s = requests * duration_s * w.lambda_memory_mb / 1024
    # Billed per record in 5 KB increments. The sink packs a request's lines into records of up to
    # 5,000 bytes (audience.ingest.adapters.aws.firehose.pack), one increment each; a longer line
    # travels alone.
    if m.json_line_bytes <= PACKED_RECORD_BYTES:
        lines_per_record = math.floor(PACKED_RECORD_BYTES / m.json_line_bytes)
        increments = requests * math.ceil(w.events_per_request / lines_per_record)
    else:
        increments = events * math.ceil(m.json_line_bytes / 5120)
    firehose_gb = increments * 5 / 1024 / 1024
    lake_gb = events * m.parquet_bytes_per_event / 1e9
    window_events = events * w.athena_window_days / 30
    athena_tb = (
        w.athena_queries_per_month * window_events * m.parquet_bytes_per_event * w.athena_column_share / 1e12
    )
    glue_window = events * 28 / 30
    glue_dpu_h = w.glue_runs_per_month * (
        glue_window / w.glue_events_per_dpu_second / 3600 + w.glue_fixed_dpu_hours_per_run
    )
    training_h = w.personalize_trainings_per_month * max(1.0, events / w.personalize_events_per_training_hour)
    files_per_run = max(1, lake_gb * 1e3 / 128)  # Parquet objects of ~128 MB read per run
    return {
        "API Gateway": _tiered(requests / 1e6),
        "Lambda": requests / 1e6 * p["lambda_request_per_m"] + gb_s * p["lambda_gb_s"],
        "Firehose": firehose_gb * (p["firehose_ingest_gb"] + p["firehose_conversion_gb"]),
        "DynamoDB": events
        * (m.wru_per_event * p["ddb_wru_per_m"] + m.rru_per_event * p["ddb_rru_per_m"])
        / 1e6
        + events * m.dedup_ttl_days / 30 * m.dedup_item_bytes / 1e9 * p["ddb_storage_gb_month"],
        "S3": lake_gb * p["s3_storage_gb_month"]
        + (
            w.glue_runs_per_month * files_per_run * 3 * p["s3_get_per_1000"]
            + lake_gb * 1e3 / 128 * p["s3_put_per_1000"]
        )
        / 1000
        + (w.athena_queries_per_month * files_per_run * p["s3_get_per_1000"]) / 1000,
        "Glue": glue_dpu_h * p["glue_dpu_hour"],
        "Athena": athena_tb * p["athena_tb_scanned"],
        "Personalize": events
        * w.interaction_csv_bytes
        / 1e9
        * p["personalize_ingest_gb"]
        * w.personalize_trainings_per_month
        + training_h * p["personalize_training_hour"]
        + w.personalize_segment_users_per_month / 1000 * p["personalize_batch_per_1000_users"],
        "_lambda_ms_per_request": duration_s * 1000,
        "_lambda_gb_s": gb_s,
        "_firehose_gb": firehose_gb,
        "_lake_gb": lake_gb,
        "_athena_tb": athena_tb,
        "_glue_dpu_hours": glue_dpu_h,
        "_personalize_training_hours": training_h,
        "_requests": requests,
    }


def report(m: Measured, w: Workload) -> dict[str, Any]:
    volumes = {"10 M": 1e7, "1 B": 1e9, "10 B": 1e10}
    out: dict[str, Any] = {
        "measured": asdict(m),
        "workload": asdict(w),
        "prices_read": PRICES_READ,
        "months": {},
    }
    for name, events in volumes.items():
        costs = monthly(events, m, w)
        services = {k: v for k, v in costs.items() if not k.startswith("_")}
        out["months"][name] = {
            "events": events,
            "services": services,
            "total": sum(services.values()),
            "per_million_events": sum(services.values()) / (events / 1e6),
            "volumes": {k[1:]: v for k, v in costs.items() if k.startswith("_")},
        }
    return out


def markdown(r: dict[str, Any]) -> str:
    names = list(next(iter(r["months"].values()))["services"])
    head = "| service | " + " | ".join(f"{k} events/month" for k in r["months"]) + " |"
    lines = [head, "|" + " --- |" * (len(r["months"]) + 1)]
    for s in names:
        lines.append(
            f"| {s} | " + " | ".join(f"${v['services'][s]:,.2f}" for v in r["months"].values()) + " |"
        )
    lines.append(
        "| **total per month** | "
        + " | ".join(f"**${v['total']:,.2f}**" for v in r["months"].values())
        + " |"
    )
    lines.append(
        "| **per million events** | "
        + " | ".join(f"**${v['per_million_events']:,.3f}**" for v in r["months"].values())
        + " |"
    )
    return "\n".join(lines)


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--handler-cpu-us",
        type=float,
        default=None,
        help="handler CPU µs/event on the AWS path (default: bench/results/latest.json, else measured now)",
    )
    parser.add_argument("--events-per-request", type=float, default=Workload.events_per_request)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cpu = args.handler_cpu_us
    latest = Path(__file__).parent / "results" / "latest.json"
    if cpu is None and latest.exists():
        cpu = json.loads(latest.read_text()).get("ingest_aws_path", {}).get("handler_cpu_us_per_event")
    lake = Path(__file__).parent / ".cache" / "lake-7-1000000-2026-11-21"
    w = Workload(events_per_request=args.events_per_request)
    if cpu is None:
        from bench.ingest import aws_path

        cpu = float(aws_path(8)["handler_cpu_us_per_event"])
    r = report(measure(w.events_per_request, cpu, lake), w)
    print(json.dumps(r, indent=2) if args.json else markdown(r))


if __name__ == "__main__":
    main()
