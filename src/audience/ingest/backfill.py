"""Historical backfill: events from files (JSON lines, CSV, Parquet) straight into the lake.

The live API refuses events older than its freshness window, rightly: a live client that sends a
week-old event has a bug. History is different, and this is its door (Segment, RudderStack and
Snowplow all keep one beside the live collector). It keeps the live path's promises:

* **One contract.** Every row is validated by the very function the API uses
  (:func:`audience.ingest.service.validate_event`), with the freshness window replaced by a
  configurable maximum age. Rejected rows are quarantined with their reasons, file and row number.
* **Each event once.** Rows whose ``event_id`` the lake already holds, or that an earlier row of the
  import carried, are skipped and counted as duplicates.
* **Where the reader looks.** Rows are written into the arrival partitions of their *event* dates
  (``engagement-events/year=/month=/day=``), marked ``ingest_source = "backfill"``: the partition
  is never earlier than the event, as the queries and feature jobs assume, and a day's history sits
  where a job for that day reads.
* **Crash-safe and idempotent.** Input is cut into chunks of rows. A journal records a chunk's
  planned objects *before* they are written and marks the chunk done in the same transaction that
  remembers which content it touched. A crash leaves at most one chunk begun: the next run deletes
  its objects and does it again; done chunks are skipped. Rerunning a finished import changes
  nothing (the journal knows the file by its content hash, and the lake would reject every row as
  a duplicate anyway).
* **Counters follow.** The live counters of every content the import touched are rebuilt from the
  lake (:mod:`audience.ingest.reconcile`), and recent ids are remembered as counted, so a live
  resend of a backfilled event is recognised as a duplicate.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

from audience.ingest.reconcile import LIVE_MAX_LATENESS, CounterRepairStore, ReconcileReport, reconcile
from audience.ingest.records import first_per_event_id
from audience.ingest.service import IngestLimits, Rejection, RequestContext, validate_event
from audience.insights.ports import LakeQuery
from schemas.engagement import LakeRecord

SOURCE: Final = "backfill"
"""The lake's ``ingest_source`` of backfilled rows (live rows carry ``api:<stage>``)."""
FORMATS: Final = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}
NUMBERS: Final = {
    "metadata.view_duration": float,
    "metadata.completion_rate": float,
    "metadata.interaction_count": int,
}
"""CSV cells are text; these columns are numbers in the contract and are parsed (a cell that does
not parse is passed on as text, so the contract rejects it with its usual reason)."""


class BackfillError(Exception):
    """The import cannot start (no input, unknown format); nothing was written."""


@dataclass(frozen=True)
class BackfillOptions:
    max_age: timedelta = timedelta(days=3 * 365)
    """Rows older than this are rejected (``timestamp_too_old``): a typo'd year, not history."""
    max_future: timedelta = timedelta(minutes=5)
    chunk_rows: int = 50_000
    max_event_bytes: int = 32 * 1024
    dedup_ttl: timedelta = timedelta(days=8)
    """Ids of events younger than this are remembered as counted (the live API's duplicate memory)."""


@dataclass(frozen=True)
class Unparseable:
    """A source row that is not even an object (a bad JSON line)."""

    text: str
    reason: str


@dataclass(frozen=True)
class SourceFile:
    path: Path
    format: str
    key: str
    """SHA-256 of the file's bytes: the journal's name for it, whatever its path."""
    rows: int


class BackfillLake(Protocol):
    """The lake as the backfill writes it (a folder locally; the Glue job writes S3 in the cloud)."""

    def existing_ids(self, first_day: date, last_day: date) -> set[str]:
        """Event ids in the arrival partitions ``first_day..last_day``."""
        ...

    def event_key(self, day: date, name: str) -> str:
        """The key of object ``name`` in ``day``'s arrival partition."""
        ...

    def write_events(self, day: date, name: str, records: Sequence[LakeRecord]) -> str:
        """Write one Parquet object into ``day``'s partition atomically; return its key."""
        ...

    def write_quarantine(self, key: str, body: bytes) -> str: ...

    def remove(self, keys: Sequence[str]) -> None:
        """Delete objects (missing ones are fine): the undo of an interrupted chunk."""
        ...


class BackfillJournal(Protocol):
    def unfinished(self) -> list[tuple[str, int, list[str]]]:
        """Chunks begun and never finished: (file key, chunk, planned object keys)."""
        ...

    def abandon(self, file_key: str, chunk: int) -> None: ...

    def done(self, file_key: str) -> set[int]: ...

    def begin(self, file_key: str, chunk: int, keys: Sequence[str]) -> None: ...

    def finish(self, file_key: str, chunk: int, stats: dict[str, int], content_ids: Sequence[str]) -> None:
        """Mark the chunk done and remember the content it touched, in one transaction."""
        ...

    def pending_content(self) -> list[str]: ...

    def clear_content(self, content_ids: Sequence[str]) -> None: ...


@dataclass
class BackfillReport:
    files: int = 0
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    chunks_written: int = 0
    chunks_skipped: int = 0
    chunks_recovered: int = 0
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    days: set[date] = field(default_factory=set)
    content_rebuilt: int = 0
    counters: ReconcileReport | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rows": self.rows,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejected_by_code": dict(self.rejected_by_code),
            "chunks_written": self.chunks_written,
            "chunks_skipped": self.chunks_skipped,
            "chunks_recovered": self.chunks_recovered,
            "first_day": min(self.days).isoformat() if self.days else None,
            "last_day": max(self.days).isoformat() if self.days else None,
            "partitions": len(self.days),
            "content_rebuilt": self.content_rebuilt,
            "counter_buckets_changed": len(self.counters.changes) if self.counters else 0,
        }


# --- reading the sources ------------------------------------------------------------------------


def discover(paths: Sequence[Path]) -> list[Path]:
    """The input files: each path itself, or a folder's files of known formats (recursively), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in FORMATS)
        elif path.is_file():
            if path.suffix.lower() not in FORMATS:
                raise BackfillError(f"{path}: unknown format; use .jsonl/.ndjson/.json, .csv or .parquet")
            found.append(path)
        else:
            raise BackfillError(f"{path}: no such file or folder")
    if not found:
        raise BackfillError("no input files (.jsonl, .csv, .parquet) found")
    return found


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _count_rows(path: Path, fmt: str) -> int:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1) if fmt == "csv" else lines


def source_file(path: Path) -> SourceFile:
    fmt = FORMATS[path.suffix.lower()]
    return SourceFile(path, fmt, _digest(path), _count_rows(path, fmt))


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``location.country`` style columns into the contract's nested objects; empty/null cells dropped."""
    out: dict[str, Any] = {}
    for name, value in flat.items():
        if value is None or value == "":
            continue
        if isinstance(value, dict):
            value = _nest(value)
            if not value:
                continue
        if isinstance(value, datetime):
            value = value.isoformat()  # naive stays naive and is rejected as the API would
        parent, dot, child = name.partition(".")
        if dot:
            out.setdefault(parent, {})[child] = value
        else:
            out[name] = value
    return out


def _csv_cell(name: str, value: str) -> Any:
    kind = NUMBERS.get(name)
    if kind is None or value == "":
        return value
    try:
        return kind(value)
    except ValueError:
        return value


def read_rows(source: SourceFile) -> Iterator[Any]:
    """The file's rows as raw objects, in order (a bad JSON line becomes :class:`Unparseable`)."""
    if source.format == "jsonl":
        with source.path.open("r", encoding="utf-8", errors="surrogateescape") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except (json.JSONDecodeError, RecursionError, ValueError) as exc:
                    yield Unparseable(line[:2000], f"line is not valid JSON: {exc}")
    elif source.format == "csv":
        with source.path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as handle:
            for row in csv.DictReader(handle):
                extra = row.pop(None, None)
                if extra:
                    yield Unparseable(json.dumps(row, default=str), "row has more cells than the header")
                    continue
                yield _nest({k: _csv_cell(k, v) for k, v in row.items() if k is not None})
    else:
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(source.path).iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                yield _nest(row)


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the import ---------------------------------------------------------------------------------


def _validate(
    rows: list[Any], first_row: int, limits: IngestLimits, ctx: RequestContext
) -> tuple[list[LakeRecord], list[tuple[Any, list[Rejection]]]]:
    good: list[LakeRecord] = []
    bad: list[tuple[Any, list[Rejection]]] = []
    for offset, raw in enumerate(rows):
        row = first_row + offset
        if isinstance(raw, Unparseable):
            bad.append((raw.text, [Rejection(row, "", "malformed_json", raw.reason)]))
            continue
        try:
            outcome = validate_event(raw, row, limits, ctx)
        except Exception as exc:  # a validation bug must not stop an import of millions of rows
            outcome = [
                Rejection(row, "", "unprocessable", f"row could not be validated: {type(exc).__name__}")
            ]
        if isinstance(outcome, LakeRecord):
            good.append(outcome)
        else:
            bad.append((raw, outcome))
    return good, bad


def _quarantine_body(
    source: SourceFile, ctx: RequestContext, bad: list[tuple[Any, list[Rejection]]]
) -> bytes:
    lines = [
        json.dumps(
            {
                "received_at": ctx.received_at.isoformat(),
                "request_id": ctx.request_id,
                "source": SOURCE,
                "file": str(source.path),
                "index": reasons[0].index,
                "row": reasons[0].index + 1,
                "reasons": [r.as_dict() for r in reasons],
                "event": raw,
            },
            default=str,
            ensure_ascii=False,
        )
        for raw, reasons in bad
    ]
    return ("\n".join(lines) + "\n").encode("utf-8", errors="backslashreplace")


def quarantine_key(at: datetime, file_key: str, chunk: int) -> str:
    at = at.astimezone(UTC)
    return (
        f"quarantine/year={at:%Y}/month={at:%m}/day={at:%d}/"
        f"{at:%Y%m%dT%H%M%S%f}-backfill-{file_key[:16]}-{chunk:06d}-events.jsonl"
    )


def run_backfill(
    paths: Sequence[Path],
    *,
    lake: BackfillLake,
    journal: BackfillJournal,
    counters: CounterRepairStore,
    lake_query: Callable[[], LakeQuery],
    options: BackfillOptions = BackfillOptions(),
    now: datetime | None = None,
    on_start: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda rows: None,
) -> BackfillReport:
    """Import ``paths`` (files or folders) into the lake; see the module's docstring for the rules.

    ``lake_query`` builds a fresh SQL view of the lake (after the writes) for the counter rebuild.
    """
    report = BackfillReport()
    for file_key, chunk, keys in journal.unfinished():
        lake.remove(keys)
        journal.abandon(file_key, chunk)
        report.chunks_recovered += 1

    sources = [source_file(p) for p in discover(paths)]
    report.files = len(sources)
    on_start(sum(s.rows for s in sources))
    started = (now or datetime.now(UTC)).astimezone(UTC)
    limits = IngestLimits(
        max_event_bytes=options.max_event_bytes, max_event_age=options.max_age, max_future=options.max_future
    )
    remember_after = started - options.dedup_ttl
    for source in sources:
        done = journal.done(source.key)
        first_row = 0
        for chunk, rows in enumerate(_chunks(read_rows(source), options.chunk_rows)):
            report.rows += len(rows)
            if chunk in done:
                report.chunks_skipped += 1
                first_row += len(rows)
                on_progress(len(rows))
                continue
            ctx = RequestContext(
                request_id=f"backfill-{source.key[:16]}-{chunk:06d}", source=SOURCE, received_at=started
            )
            good, bad = _validate(rows, first_row, limits, ctx)
            first_row += len(rows)
            unique = first_per_event_id(good)
            days = sorted({r.event_timestamp.date() for r in unique})
            held = lake.existing_ids(days[0], days[-1] + LIVE_MAX_LATENESS) if days else set()
            fresh = [r for r in unique if r.event_id not in held]
            by_day: dict[date, list[LakeRecord]] = defaultdict(list)
            for record in fresh:
                by_day[record.event_timestamp.date()].append(record)
            name = f"backfill-{source.key[:16]}-{chunk:06d}.parquet"
            q_key = quarantine_key(started, source.key, chunk) if bad else None
            planned = [lake.event_key(d, name) for d in sorted(by_day)]
            journal.begin(source.key, chunk, [*planned, *([q_key] if q_key else [])])
            written = [lake.write_events(day, name, records) for day, records in sorted(by_day.items())]
            if q_key:
                lake.write_quarantine(q_key, _quarantine_body(source, ctx, bad))
            recent = [r.event_id for r in fresh if r.event_timestamp >= remember_after]
            if recent:
                counters.remember(recent)
            stats = {
                "rows": len(rows),
                "accepted": len(fresh),
                "duplicates": len(good) - len(fresh),
                "rejected": len(bad),
                "objects": len(written),
            }
            journal.finish(source.key, chunk, stats, sorted({r.content_id for r in fresh}))
            report.chunks_written += 1
            report.accepted += len(fresh)
            report.duplicates += len(good) - len(fresh)
            report.rejected += len(bad)
            report.rejected_by_code.update(reasons[0].code for _, reasons in bad)
            report.days.update(by_day)
            on_progress(len(rows))

    pending = journal.pending_content()
    if pending:
        report.counters = reconcile(lake_query(), counters, content_ids=pending)
        journal.clear_content(pending)
        report.content_rebuilt = len(pending)
    return report


def write_jsonl(rows: Sequence[dict[str, Any]]) -> bytes:
    """JSON lines as the import reads them (used by the demo and the tests to stage history)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        buffer.write("\n")
    return buffer.getvalue().encode()
