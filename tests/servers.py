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
    log: Path | None = None

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
        # A file, not a pipe: the server logs a line per request, and a pipe nobody reads until the
        # end would fill and block it.
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = self.home / f"server-{self.port}.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "devhost.cli", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        deadline = time.monotonic() + 90  # the machine may be busy: a cold start can take a while
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        out = self.stop(signal.SIGKILL)
        raise RuntimeError(f"server did not start:\n{out}")

    def output(self) -> str:
        return self.log.read_text() if self.log and self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> str:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=60)
        return self.output()


@dataclass
class StreamingServer(Server):
    """A :class:`Server` whose output is watched as it comes, to act on what it says (a stop arriving
    during recovery, during a delivery...) and to time its stop."""

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.output().splitlines():
                if text in line:
                    return line
            time.sleep(0.02)
        raise AssertionError(f"{text!r} not printed within {timeout} s:\n{self.output()}")

    def send(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)
