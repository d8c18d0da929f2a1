"""Folder files as text streams (the local counterpart of :mod:`..aws.s3_text`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


class FolderTextObjects:
    """:class:`audience.activation.ports.TextObjects` on a folder; keys are relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key {key!r} leaves the store")
        return path

    def read_lines(self, key: str) -> Iterator[str]:
        with self._path(key).open(encoding="utf-8", newline="") as f:
            yield from f

    @contextmanager
    def writer(self, key: str) -> Iterator[TextIO]:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as f:
                yield f
            os.replace(partial, path)  # readers never see half a file
        finally:
            partial.unlink(missing_ok=True)
