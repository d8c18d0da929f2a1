"""No invented numbers: every figure an insight states must come from its inputs.

A figure is accepted when, rounded to the precision it is written with, it equals an input value
or one derived from input values by a rule an analyst would use: the value itself, as a
percentage (x100), a difference, a ratio, or a percentage change between two input values.
Numbers inside identifiers (``c-000123``) are not figures. The check runs on the rules writer's
output in tests and on every Bedrock answer at run time (an answer that fails it is invalid).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

# A figure: not glued to a preceding letter, digit, '-', '_', '.', '/' or ':' (ids, dates' parts).
_FIGURE = re.compile(r"(?<![\w\-./:])([-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)")
_ANY_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MAX_BASE = 400


def figures(text: str) -> list[str]:
    return [m.group(1) for m in _FIGURE.finditer(text)]


def texts(node: Any) -> Iterator[str]:
    if isinstance(node, BaseModel):
        node = node.model_dump(mode="json")
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)


def _numbers(node: Any) -> Iterator[float]:
    if isinstance(node, BaseModel):
        node = node.model_dump(mode="json")
    if isinstance(node, bool) or node is None:
        return
    if isinstance(node, int | float):
        if math.isfinite(node):
            yield float(node)
    elif isinstance(node, str):
        for match in _ANY_NUMBER.finditer(node):
            yield float(match.group())
    elif isinstance(node, dict):
        for value in node.values():
            yield from _numbers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _numbers(value)


def derived_values(inputs: Any) -> list[float]:
    """Sorted values a figure may state: the inputs' numbers and what the rules derive from them.

    Pairs (differences, ratios, changes) are formed among the inputs' headline numbers, not the
    daily series, whose points are only ever quoted as they are.
    """
    if isinstance(inputs, BaseModel):
        inputs = inputs.model_dump(mode="json")
    singles = set(_numbers(inputs))
    headline = {k: v for k, v in inputs.items() if k != "daily"} if isinstance(inputs, dict) else inputs
    base = sorted(set(_numbers(headline)))[:_MAX_BASE]
    out: set[float] = set()
    for a in singles:
        out.update((a, abs(a), a * 100, a / 60, a / 3600))
    for i, a in enumerate(base):
        for b in base[i + 1 :]:
            out.update((a - b, b - a, abs(a - b)))
            for num, den in ((a, b), (b, a)):
                if den:
                    ratio = num / den
                    out.update((ratio, ratio * 100, (ratio - 1) * 100, abs(ratio - 1) * 100))
    return sorted(out)


def _decimals(figure: str) -> int:
    return len(figure.split(".", 1)[1]) if "." in figure else 0


def supported(figure: str, values: list[float]) -> bool:
    x = float(figure.replace(",", ""))
    tolerance = 0.5 * 10 ** -_decimals(figure) + 1e-9
    i = bisect.bisect_left(values, x - tolerance)
    return i < len(values) and values[i] <= x + tolerance


def unsupported_figures(texts: Iterable[str], inputs: Any) -> list[str]:
    """The figures in ``texts`` that cannot be traced to ``inputs`` (empty when all can)."""
    values = derived_values(inputs)
    return [f for text in texts for f in figures(text) if not supported(f, values)]


def check_insight(insight: BaseModel, inputs: Any) -> list[str]:
    """Unsupported figures anywhere in an insight: its texts and its numeric fields."""
    numeric = [repr(float(value)) for _, value in _flatten_numbers(insight)]
    return unsupported_figures([*texts(insight), *numeric], inputs)


def _flatten_numbers(model: BaseModel) -> Iterator[tuple[str, Any]]:
    """Numeric fields (e.g. a trend's ``change_pct``) with a unique key each."""
    dumped = model.model_dump(mode="json")
    stack: list[tuple[str, Any]] = [("", dumped)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}", v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node))
        elif isinstance(node, int | float) and not isinstance(node, bool):
            yield path, node


def _labelled(node: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every number in the inputs with its path (``current.events``, ``breakdowns.country[0].share_pct``)."""
    if isinstance(node, BaseModel):
        node = node.model_dump(mode="json")
    if isinstance(node, bool) or node is None:
        return
    if isinstance(node, int | float):
        if math.isfinite(node):
            yield path, float(node)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _labelled(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            label = (
                value.get("value") or value.get("metric") or value.get("date")
                if isinstance(value, dict)
                else None
            )
            yield from _labelled(value, f"{path}[{label if label is not None else i}]")


def _relevance(path: str, context: str) -> int:
    """How many of a path's labels (``country``, ``CA``…) the sentence names: the better source."""
    lowered = context.lower()
    words = set(re.findall(r"[\w\-]+", lowered))
    labels = re.findall(r"[A-Za-z][\w\-]*", path)
    return sum(1 for label in labels if label.lower() in words or label.lower().replace("_", " ") in lowered)


def trace(figure: str, inputs: Any, context: str = "") -> dict[str, Any] | None:
    """Where a stated figure comes from in the inputs: the value (or the two values and the rule) it
    equals at its written precision, or ``None`` when nothing matches.

    This is how the insights page shows each figure beside the query result it was read from.
    """
    x = float(figure.replace(",", ""))
    tolerance = 0.5 * 10 ** -_decimals(figure) + 1e-9
    named = list(_labelled(inputs))
    rules = (("value", 1.0), ("percent", 100.0), ("minutes", 1 / 60), ("hours", 1 / 3600))
    for rule, factor in rules:
        matches = [
            (path, value)
            for path, value in named
            if any(abs(c - x) <= tolerance for c in (value * factor, abs(value) * factor))
        ]
        if matches:
            # Several inputs may hold the same number: the one the sentence is about wins.
            path, value = max(matches, key=lambda m: _relevance(m[0], context))
            return {"figure": figure, "rule": rule, "sources": [{"path": path, "value": value}]}
    headline = [(p, v) for p, v in named if not p.startswith("daily")][:_MAX_BASE]

    # Pairs of the same measure first (current vs previous), then any pair.
    def leaf(path: str) -> str:
        return path.rsplit(".", 1)[-1]

    pairs = sorted(
        ((a, b) for a in headline for b in headline if a[0] != b[0]),
        key=lambda ab: leaf(ab[0][0]) != leaf(ab[1][0]),
    )
    for (pa, a), (pb, b) in pairs:
        derived = [("difference", a - b), ("difference", abs(a - b))]
        if b:
            ratio = a / b
            derived += [
                ("ratio", ratio),
                ("ratio (percent)", ratio * 100),
                ("change (percent)", (ratio - 1) * 100),
                ("change (percent)", abs(ratio - 1) * 100),
            ]
        for rule, candidate in derived:
            if abs(candidate - x) <= tolerance:
                return {
                    "figure": figure,
                    "rule": rule,
                    "sources": [{"path": pa, "value": a}, {"path": pb, "value": b}],
                }
    return None


def trace_insight(insight: BaseModel, inputs: Any) -> list[dict[str, Any]]:
    """Each figure of each text of the insight with its :func:`trace` (``where`` is the text's field)."""
    dumped = insight.model_dump(mode="json")
    out: list[dict[str, Any]] = []
    stack: list[tuple[str, Any]] = [("", dumped)]
    found: list[tuple[str, str, str]] = []
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}" if path else k, v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, str):
            found.extend((path, f, node) for f in figures(node))
        elif isinstance(node, int | float) and not isinstance(node, bool):
            found.append((path, repr(float(node)), path))
    for where, figure, context in found:
        traced = trace(figure, inputs, context) or {"figure": figure, "rule": None, "sources": []}
        out.append({"where": where, **traced})
    return out
