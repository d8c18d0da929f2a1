"""Scheduled Jetstream collector: resume from the stored cursor, collect until shortly before the
Lambda's time limit, hand each batch to the social posts' ingestion service (validation, quarantine,
exactly-once, Firehose), save the cursor after each acknowledged batch."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from audience.core.observability import logger, metrics
from audience.influencers import wiring
from audience.influencers.ports import CursorStore
from audience.influencers.settings import InfluencerSettings
from audience.influencers.stream import FrameSource, run_stream
from audience.ingest.service import IngestService, RequestContext
from audience.ingest.wiring import social_ingest_service

RESERVE_SECONDS = 30.0
"""Stop reading this long before the timeout: the last batch is sent and the cursor saved in time."""

SETTINGS = InfluencerSettings()  # validated at cold start


class IngestServiceSink:
    """A :class:`~audience.influencers.ports.PostSink` over the ingestion service, in-process."""

    def __init__(self, service: IngestService[Any], source: str = "jetstream") -> None:
        self.service = service
        self.source = source

    def send(self, posts: Sequence[dict[str, Any]]) -> int:
        ctx = RequestContext(request_id=f"jetstream-{uuid.uuid4()}", source=self.source)
        result = self.service.ingest(json.dumps({"posts": list(posts)}).encode(), ctx)
        if result.failed:
            # Not acknowledged: raise so the cursor stays before this batch and the next run resends it.
            raise RuntimeError(f"{result.failed} posts could not be delivered; the cursor is not advanced")
        return result.accepted + result.duplicates


def handler(
    event: dict[str, Any],
    context: LambdaContext,
    service: IngestService[Any] | None = None,
    source: FrameSource | None = None,
    cursors: CursorStore | None = None,
) -> dict[str, Any]:
    """Ports default to the wiring's (Jetstream, SSM, the social ingest service); tests pass their own."""
    budget = max(5.0, context.get_remaining_time_in_millis() / 1000 - RESERVE_SECONDS)
    report = run_stream(
        source or wiring.frame_source(SETTINGS),
        IngestServiceSink(service or social_ingest_service()),
        cursors or wiring.cursor_store(SETTINGS),
        max_seconds=budget,
    )
    metrics.add_metric(name="JetstreamPosts", unit=MetricUnit.Count, value=report.posts)
    logger.info("jetstream run", extra=report.__dict__)
    metrics.flush_metrics()
    return dict(report.__dict__)
