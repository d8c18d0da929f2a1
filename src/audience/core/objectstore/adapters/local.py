"""A folder as the object store: keys are relative paths, writes are atomic and durable."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

Fsync = Callable[[int], None]


def slow_fsync(delay_seconds: float) -> Fsync:
    """Test-only: an ``fsync`` that first sleeps, to reproduce a disk another process saturates."""

    def fsync(fd: int) -> None:
        time.sleep(delay_seconds)
        os.fsync(fd)

    return fsync


def atomic_write(path: Path, data: bytes, fsync: Fsync = os.fsync) -> None:
    """Write to a temp file, fsync, rename: readers never see half a file, a crash leaves only a
    dot-named ``.tmp`` file that readers skip (the lake writer sweeps its own on start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FolderObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key escapes the store: {key!r}")
        return path

    def put_object(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        atomic_write(self._path(key), body)

    def get_object(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def list_keys(self, prefix: str) -> list[str]:
        if not self.root.exists():
            return []
        keys = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not Path(k).name.startswith("."))
