"""A real local server (``audience serve``) in its own process, for HTTP and browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
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


@dataclass
class StreamingServer(Server):
    """A :class:`Server` whose output is read as it comes, to act on what it says (a stop arriving
    during recovery, during a delivery...) and to time its stop."""

    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def start(self) -> None:
        self.lines = []
        super().start()
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout

        def read() -> None:
            for line in stdout:
                self.lines.append(line)

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            time.sleep(0.02)
        raise AssertionError(f"{text!r} not printed within {timeout} s:\n{self.output()}")

    def send(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        """Exit code; the reader has consumed all output when this returns."""
        assert self.proc is not None
        code = self.proc.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def stop(self, sig: int = signal.SIGTERM) -> str:
        self.send(sig)
        self.wait()
        return self.output()
