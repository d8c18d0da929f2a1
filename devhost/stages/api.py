"""The local API as the demo runs it: its own process (``audience serve``) on a free port, for the live
day and for the stages that talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from audience.core.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(settings: Settings, port: int, api_key: str, log: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "AUDIENCE_HOME": str(settings.home),
        "AUDIENCE_API_KEY": api_key,
        "AUDIENCE_BACKEND": "local",
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:  # a file, not a pipe: a pipe nobody reads could block the server
        proc = subprocess.Popen(
            [sys.executable, "-m", "devhost.cli", "serve", "--port", str(port)],
            env=env,
            cwd=settings.project_root,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"local API exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("local API did not answer /health within 60 s")


def stage_server(settings: Settings, home: Path, api_key: str) -> tuple[str, str, Any]:
    """The local API again, for a stage that talks to it over HTTP; returns (url, key, stop)."""
    port = free_port()
    proc = start_server(settings, port, api_key, home / "server-recommendations.log")

    def stop() -> None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)

    return f"http://127.0.0.1:{port}", api_key, stop
