"""A real local server (``audience serve``) in its own process, for HTTP and browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

API_KEY = "test-key-123"
ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    home: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "AUDIENCE_HOME": str(self.home),
            "AUDIENCE_API_KEY": API_KEY,
            "AUDIENCE_ALLOWED_ORIGINS": "https://app.example.com",
            "AUDIENCE_LOCAL_BUFFER_SECONDS": "3600",
            **self.env,
        }
        env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devhost.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        out = self.stop(signal.SIGKILL)
        raise RuntimeError(f"server did not start:\n{out}")

    def stop(self, sig: int = signal.SIGTERM) -> str:
        assert self.proc is not None
        self.proc.send_signal(sig)
        out, _ = self.proc.communicate(timeout=60)
        return out
