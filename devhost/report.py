"""The demo's report: every figure ``make demo`` prints, as JSON in ``$AUDIENCE_HOME/report.json``.

Stages write their own section (``models``, ``recommendations``, ``influencers``...) with
:func:`write_section`; tools, tests and the README check read the file. Sections are merged, so
stages can run separately (``make models`` after ``make demo``) and keep the rest of the report.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

REPORT_NAME = "report.json"


def report_path(home: Path) -> Path:
    return home / REPORT_NAME


def read_report(home: Path) -> dict[str, Any]:
    path = report_path(home)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def write_section(home: Path, section: str, data: dict[str, Any]) -> Path:
    """Replace one top-level section of the report, atomically (write, fsync, rename)."""
    report = read_report(home)
    report[section] = data
    home.mkdir(parents=True, exist_ok=True)
    path = report_path(home)
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".report-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, sort_keys=True, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
