"""Shared pieces of the recommendations tests: reference data paths and tiny hand-made datasets."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).parents[2]
# ../shared/data beside the checkout (CI, /work/main); AUDIENCE_SHARED_DATA for other layouts (worktrees).
SHARED = Path(os.environ.get("AUDIENCE_SHARED_DATA", ROOT.parent / "shared" / "data"))
BINGEWATCH = SHARED / "bingewatch"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
