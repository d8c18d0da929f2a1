"""The one place that creates Powertools' logger, tracer and metrics.

Logs carry counts, codes and request ids, never user ids, locations or raw events (personal data).
Locally, metrics and tracing are switched off unless explicitly enabled, so the embedded server does
not print EMF blobs for every request.
"""

from __future__ import annotations

import os
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "audience-ingest")
NAMESPACE = os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "AudiencePlatform")

if "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

# Health checks publish no metric; that is expected, not worth a warning per request.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


METRICS_DISABLED = os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true"


def discard_unpublished_metrics() -> None:
    """Powertools keeps metrics when publishing is disabled and prints them every 100 values;
    locally (disabled) they are dropped after each invocation instead."""
    if METRICS_DISABLED:
        metrics.clear_metrics()
