"""Picks the ingest slice's adapters for the backfill and the counter reconciliation.

The backfill's local path writes the folder lake; its cloud path is the ``backfill`` Glue job
(``glue_jobs/backfill.py``, ``stacks/backfill.yaml``), which writes S3 with Spark, so there is no
boto3 backfill adapter. Reconciliation runs on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass

from audience.ingest.backfill import BackfillJournal, BackfillLake
from audience.ingest.reconcile import CounterRepairStore
from audience.settings import Settings


@dataclass(frozen=True)
class BackfillPorts:
    lake: BackfillLake
    journal: BackfillJournal
    counters: CounterRepairStore


def counter_repair_store(settings: Settings) -> CounterRepairStore:
    if settings.backend == "aws":
        from audience.adapters.aws.dynamodb import DynamoCounterStore

        if not settings.counters_table:
            raise RuntimeError("aws backend needs AUDIENCE_COUNTERS_TABLE")
        return DynamoCounterStore(settings.counters_table, dedup_ttl_seconds=settings.dedup_ttl_seconds)
    from audience.adapters.local.counters import SqliteCounterStore

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
