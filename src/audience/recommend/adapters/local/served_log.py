"""The served-lists log in the local lake: JSON lines under ``recommendations-served/year=/month=/day=``,
the layout Firehose writes in AWS, read by DuckDB as the ``recommendations_served`` table."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict
from pathlib import Path

from audience.recommend.ports import ServedList

PREFIX = "recommendations-served"


class JsonLinesServedLog:
    def __init__(self, lake_dir: Path) -> None:
        self.root = Path(lake_dir) / PREFIX
        self._lock = threading.Lock()

    def record(self, served: ServedList) -> None:
        day = served.served_at[:10]
        folder = self.root / f"year={day[:4]}" / f"month={day[5:7]}" / f"day={day[8:10]}"
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(served), separators=(",", ":")) + "\n"
        with self._lock, (folder / f"served-{os.getpid()}.jsonl").open("a", encoding="utf-8") as f:
            f.write(line)
