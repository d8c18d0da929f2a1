"""What the figures were measured on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any


def describe() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    return f"{os.cpu_count()} cores ({model}){mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def child_json(
    args: list[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run this interpreter with ``args`` in a fresh process; the JSON object on its last stdout line.

    For measures that need a process of their own (peak memory, settings read once per process)."""
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=True
    )
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out
