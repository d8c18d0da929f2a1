"""Benchmarks (`make bench`): figures as ratios against baselines measured in the same run."""

import os

# The handlers under measurement log one INFO line per request; Powertools reads the level once,
# when the first module builds its logger, which may be before a benchmark sets it. The tables,
# not a log line per request, are the output.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
