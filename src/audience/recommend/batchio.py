"""Personalize's batch inference output, read and written exactly.

A batch inference job writes one JSON line per input line:
``{"input": {"userId": "u1"}, "output": {"recommendedItems": ["i1", ...], "scores": [0.1, ...]},
"error": null}``; a line it could not answer carries ``"output": null`` and the reason in ``error``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audience.recommend.data import InputFormatError


@dataclass(frozen=True)
class BatchLine:
    user_id: str
    items: list[str]
    scores: list[float]
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        output = None if self.error else {"recommendedItems": self.items, "scores": self.scores}
        return {"input": {"userId": self.user_id}, "output": output, "error": self.error}


def write_batch_output(path: Path, lines: Iterable[BatchLine]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n


def parse_batch_lines(lines: Iterable[str], source: str = "batch output") -> Iterator[BatchLine]:
    for n, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
            user = record["input"]["userId"]
            if record.get("error"):
                yield BatchLine(str(user), [], [], str(record["error"]))
                continue
            output = record["output"]
            items = [str(i) for i in output["recommendedItems"]]
            scores = [float(s) for s in output.get("scores") or [0.0] * len(items)]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputFormatError(f"{source}: line {n}: not a batch inference output line ({exc})") from None
        yield BatchLine(str(user), items, scores)


def read_batch_output(path: Path) -> list[BatchLine]:
    if not path.is_file():
        raise InputFormatError(f"{path}: no such file")
    return list(parse_batch_lines(path.read_text(encoding="utf-8").splitlines(), str(path)))


def round_scores(scores: Sequence[float]) -> list[float]:
    return [round(float(s), 6) for s in scores]
