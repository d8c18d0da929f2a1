"""Chooses adapters for the configured backend and wires the use cases, once per process.

Adapters are imported lazily, so a Lambda package (``aws`` backend) never imports the local
adapters' dependencies (pyarrow, duckdb) and a laptop never needs AWS credentials.

The backfill's local path writes the folder lake; its cloud path is the ``backfill`` Glue job
(``glue_jobs/backfill.py``, ``stacks/backfill.yaml``), which writes S3 with Spark, so there is no
boto3 backfill adapter. Counter reconciliation runs on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from audience.core.objectstore.ports import ObjectStore
from audience.core.objectstore.wiring import lake_store
from audience.core.settings import IngestSettings, Settings, get_settings
from audience.ingest.backfill import BackfillJournal, BackfillLake
from audience.ingest.ports import CounterStore, EventSink, IdLedger
from audience.ingest.reconcile import CounterRepairStore
from audience.ingest.service import IngestLimits, IngestService

if TYPE_CHECKING:
    from schemas.engagement import LakeRecord
    from schemas.social import SocialLakeRecord


@dataclass(frozen=True)
class Ports:
    sink: EventSink
    counters: CounterStore
    lake: ObjectStore  # the lake bucket (quarantine and, later, features)


def build_ports(settings: IngestSettings) -> Ports:
    if settings.backend == "aws":
        from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore
        from audience.ingest.adapters.aws.firehose import FirehoseSink

        return Ports(
            sink=FirehoseSink(settings.need("delivery_stream")),
            counters=DynamoCounterStore(
                settings.need("counters_table"), dedup_ttl_seconds=settings.dedup_ttl_seconds
            ),
            lake=lake_store(settings),
        )

    from audience.ingest.adapters.local.counters import SqliteCounterStore
    from audience.ingest.adapters.local.spool import LocalSpool

    home = settings.home
    return Ports(
        sink=LocalSpool(
            home / "state" / "spool.db",
            dedup_ttl_seconds=settings.dedup_ttl_seconds,
            # A write lock is never waited for past a request's deadline (then: 503, Retry-After).
            busy_timeout_seconds=min(30.0, settings.local_request_timeout_seconds),
            commit_delay_seconds=settings.test_fsync_delay_seconds,
        ),
        counters=SqliteCounterStore(
            home / "state" / "counters.db", dedup_ttl_seconds=settings.dedup_ttl_seconds
        ),
        lake=lake_store(settings),
    )


def live_counters(settings: IngestSettings) -> CounterStore:
    """The live counters alone, for readers (insights, the dashboard) that need no delivery stream."""
    if settings.backend == "aws":
        from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore

        return DynamoCounterStore(
            settings.need("counters_table"), dedup_ttl_seconds=settings.dedup_ttl_seconds
        )
    return ports().counters


def limits(settings: IngestSettings) -> IngestLimits:
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


@dataclass(frozen=True)
class SocialPorts:
    sink: EventSink
    ledger: IdLedger[SocialLakeRecord]


def build_social_ports(settings: Settings) -> SocialPorts:
    """Social posts: their own stream (Firehose) or spool, and an exactly-once ledger keyed by
    ``platform:post_id`` (the counters table in AWS, SQLite locally)."""
    if settings.backend == "aws":
        from audience.ingest.adapters.aws.firehose import FirehoseSink
        from audience.ingest.adapters.aws.ledger import DynamoIdLedger

        if not (settings.social_delivery_stream and settings.counters_table):
            raise RuntimeError(
                "aws backend needs AUDIENCE_SOCIAL_DELIVERY_STREAM and AUDIENCE_COUNTERS_TABLE"
            )
        return SocialPorts(
            sink=FirehoseSink(settings.social_delivery_stream),
            ledger=DynamoIdLedger(settings.counters_table, ttl_seconds=settings.dedup_ttl_seconds),
        )
    from audience.ingest.adapters.local.ledger import SqliteIdLedger
    from audience.ingest.adapters.local.spool import LocalSpool

    state = settings.home / "state"
    return SocialPorts(
        sink=LocalSpool(state / "social-spool.db", dedup_ttl_seconds=settings.dedup_ttl_seconds),
        ledger=SqliteIdLedger(state / "social-ledger.db", ttl_seconds=settings.dedup_ttl_seconds),
    )


@lru_cache(maxsize=1)
def social_ports() -> SocialPorts:
    return build_social_ports(get_settings())


@lru_cache(maxsize=1)
def social_ingest_service() -> IngestService[SocialLakeRecord]:
    """``POST /social/posts``: the same machinery as events, with the posts record kind."""
    from audience.ingest.social import SOCIAL_POSTS

    settings = get_settings()
    p = social_ports()
    return IngestService(
        sink=p.sink,
        counters=p.ledger,
        quarantine=lake_store(settings),
        limits=limits(settings),
        delivery_attempts=settings.delivery_attempts,
        delivery_backoff_seconds=settings.delivery_backoff_seconds,
        kind=SOCIAL_POSTS,
    )


@lru_cache(maxsize=1)
def ingest_service() -> IngestService[LakeRecord]:
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


@dataclass(frozen=True)
class BackfillPorts:
    lake: BackfillLake
    journal: BackfillJournal
    counters: CounterRepairStore


def counter_repair_store(settings: Settings) -> CounterRepairStore:
    """The live counters with reconciliation's reads and signed additions (DynamoDB or SQLite)."""
    if settings.backend == "aws":
        from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore

        if not settings.counters_table:
            raise RuntimeError("aws backend needs AUDIENCE_COUNTERS_TABLE")
        return DynamoCounterStore(settings.counters_table, dedup_ttl_seconds=settings.dedup_ttl_seconds)
    from audience.ingest.adapters.local.counters import SqliteCounterStore

    return SqliteCounterStore(
        settings.home / "state" / "counters.db", dedup_ttl_seconds=settings.dedup_ttl_seconds
    )


def backfill_ports(settings: Settings) -> BackfillPorts:
    if settings.backend == "aws":
        raise RuntimeError(
            "the cloud backfill is the backfill Glue job over an S3 prefix (docs/backfill.md); "
            "`audience import` imports into the local lake"
        )
    from audience.ingest.adapters.local.backfill import FolderBackfillLake, SqliteBackfillJournal

    return BackfillPorts(
        lake=FolderBackfillLake(settings.lake_dir),
        journal=SqliteBackfillJournal(settings.home / "state" / "backfill.db"),
        counters=counter_repair_store(settings),
    )
    social_ports.cache_clear()
    social_ingest_service.cache_clear()
