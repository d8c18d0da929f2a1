"""Frame sources and post sinks for the local commands: Jetstream over WebSocket, recorded frames,
the ingest API over HTTP, a JSONL file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any


class RecordedFrames:
    """A file of recorded Jetstream messages, one per line (tests, demos, offline replays)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def open(self, cursor: int | None) -> Iterator[str]:
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield line


class JetstreamSocket:
    """Live Jetstream over WebSocket (``websockets``' synchronous client)."""

    def __init__(self, url_for: Callable[[int | None], str], *, recv_timeout: float = 10.0) -> None:
        self.url_for = url_for  # the subscribe URL for a resume cursor (connectors.jetstream)
        self.recv_timeout = recv_timeout

    def open(self, cursor: int | None) -> Iterator[str | bytes]:
        from websockets.sync.client import connect

        with connect(self.url_for(cursor), open_timeout=15, max_size=2**20) as socket:
            while True:
                try:
                    yield socket.recv(timeout=self.recv_timeout)
                except TimeoutError:
                    return


class ApiSink:
    """``POST /social/posts`` on the ingest API (batches of at most 500)."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0) -> None:
        import httpx

        self.http = httpx.Client(base_url=base_url, timeout=timeout, headers={"x-api-key": api_key})

    def send(self, posts: Sequence[dict[str, Any]]) -> int:
        done = 0
        for start in range(0, len(posts), 500):
            response = self.http.post("/social/posts", json={"posts": list(posts[start : start + 500])})
            if response.status_code not in (200, 207, 422):
                raise RuntimeError(
                    f"POST /social/posts answered {response.status_code}: {response.text[:300]}"
                )
            body = response.json()
            done += int(body.get("accepted", 0)) + int(body.get("duplicates", 0))
        return done


class JsonlSink:
    """Appends contract posts to a JSONL file (``score --posts`` reads it)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def send(self, posts: Sequence[dict[str, Any]]) -> int:
        with self.path.open("a", encoding="utf-8") as handle:
            for post in posts:
                handle.write(json.dumps(post, separators=(",", ":")) + "\n")
        return len(posts)
