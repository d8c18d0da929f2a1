"""Chooses adapters for the configured backend and wires the use cases, once per process.

Adapters are imported lazily, so a Lambda package (``aws`` backend) never imports the local
adapters' dependencies (pyarrow, duckdb) and a laptop never needs AWS credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from audience.core.objectstore.ports import ObjectStore
from audience.core.objectstore.wiring import lake_store
from audience.core.settings import Settings, get_settings
from audience.ingest.ports import CounterStore, EventSink
from audience.ingest.service import IngestLimits, IngestService


@dataclass(frozen=True)
class Ports:
    sink: EventSink
    counters: CounterStore
    lake: ObjectStore  # the lake bucket (quarantine and, later, features)


def build_ports(settings: Settings) -> Ports:
    if settings.backend == "aws":
        from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore
        from audience.ingest.adapters.aws.firehose import FirehoseSink

        missing = [
            name
            for name, value in (
                ("AUDIENCE_DELIVERY_STREAM", settings.delivery_stream),
                ("AUDIENCE_COUNTERS_TABLE", settings.counters_table),
                ("AUDIENCE_LAKE_BUCKET", settings.lake_bucket),
            )
            if not value
        ]
        if missing:
            raise RuntimeError(f"aws backend needs {', '.join(missing)}")
        assert settings.delivery_stream and settings.counters_table and settings.lake_bucket
        return Ports(
            sink=FirehoseSink(settings.delivery_stream),
            counters=DynamoCounterStore(
                settings.counters_table, dedup_ttl_seconds=settings.dedup_ttl_seconds
            ),
            lake=lake_store(settings),
        )

    from audience.ingest.adapters.local.counters import SqliteCounterStore
    from audience.ingest.adapters.local.spool import LocalSpool

    home = settings.home
    return Ports(
        sink=LocalSpool(home / "state" / "spool.db", dedup_ttl_seconds=settings.dedup_ttl_seconds),
        counters=SqliteCounterStore(
            home / "state" / "counters.db", dedup_ttl_seconds=settings.dedup_ttl_seconds
        ),
        lake=lake_store(settings),
    )


def limits(settings: Settings) -> IngestLimits:
    return IngestLimits(
        max_events=settings.max_events,
        max_event_bytes=settings.max_event_bytes,
        max_body_bytes=settings.max_body_bytes,
        max_event_age=timedelta(days=settings.max_event_age_days),
        max_future=timedelta(seconds=settings.max_future_seconds),
    )


@lru_cache(maxsize=1)
def ports() -> Ports:
    return build_ports(get_settings())


@lru_cache(maxsize=1)
def ingest_service() -> IngestService:
    settings = get_settings()
    p = ports()
    return IngestService(
        sink=p.sink,
        counters=p.counters,
        quarantine=p.lake,
        limits=limits(settings),
        delivery_attempts=settings.delivery_attempts,
        delivery_backoff_seconds=settings.delivery_backoff_seconds,
    )


def reset() -> None:
    """Forget wired objects (tests that change settings between cases)."""
    get_settings.cache_clear()
    ports.cache_clear()
    ingest_service.cache_clear()
