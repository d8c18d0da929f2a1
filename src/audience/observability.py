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
