"""Item-attribute queries of a batch segment job: parse, validate, and evaluate against items.

A batch segment job's input is JSON lines, one query per line, ``{"itemAttributes": "ITEMS.genres =
\\"Action\\""}``; Personalize takes at most 10 queries per job. The configuration is checked here
before a job starts (in the training workflow by a small Lambda, locally by the model) so a typo
fails in seconds with a per-line reason instead of after an hour of batch inference.

The expression language supported is the documented subset the recipe accepts for categorical
fields: ``ITEMS.<field> = "v"``, ``ITEMS.<field> IN ("v1", "v2")``, ``!=`` / ``NOT IN``, joined
with ``AND`` or ``OR`` (``AND`` binds tighter, as in Personalize's filter expressions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

MAX_QUERIES: Final = 10
MAX_NUM_RESULTS: Final = 5_000_000

_CONDITION = re.compile(
    r"""^\s*ITEMS\.(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*
        (?P<op>=|!=|NOT\s+IN|IN)\s*
        (?P<values>"(?:[^"\\]|\\.)*"|\(\s*"(?:[^"\\]|\\.)*"(?:\s*,\s*"(?:[^"\\]|\\.)*")*\s*\))\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_VALUE = re.compile(r'"((?:[^"\\]|\\.)*)"')


class QueryConfigError(ValueError):
    """The queries file is not a valid batch segment input; ``reasons`` has one entry per problem."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Condition:
    field: str  # lower case, as Personalize compares field names
    values: tuple[str, ...]
    negated: bool

    def matches(self, attributes: Mapping[str, frozenset[str]]) -> bool:
        hit = bool(attributes.get(self.field, frozenset()) & set(self.values))
        return hit != self.negated


@dataclass(frozen=True)
class ItemAttributeQuery:
    """One parsed ``itemAttributes`` expression: an OR of ANDs of conditions."""

    text: str
    any_of: tuple[tuple[Condition, ...], ...]

    def matches(self, attributes: Mapping[str, frozenset[str]]) -> bool:
        return any(all(c.matches(attributes) for c in group) for group in self.any_of)

    @property
    def fields(self) -> set[str]:
        return {c.field for group in self.any_of for c in group}


def _split(text: str, word: str) -> list[str]:
    """Split on a keyword outside double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted, i = False, 0
    pattern = re.compile(rf"\s+{word}\s+", re.IGNORECASE)
    while i < len(text):
        ch = text[i]
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        if not quoted:
            m = pattern.match(text, i)
            if m:
                parts.append("".join(current))
                current, i = [], m.end()
                continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def parse_query(text: str) -> ItemAttributeQuery:
    """Parse one ``itemAttributes`` expression; raises ``ValueError`` saying what is wrong."""
    if not text.strip():
        raise ValueError("empty itemAttributes expression")
    groups: list[tuple[Condition, ...]] = []
    for disjunct in _split(text.strip(), "OR"):
        conditions = []
        for part in _split(disjunct, "AND"):
            m = _CONDITION.match(part)
            if not m:
                raise ValueError(
                    f'not an ITEMS.<field> = "value" / IN ("a", "b") condition: {part.strip()!r}'
                )
            op = re.sub(r"\s+", " ", m["op"].upper())
            values = tuple(v.replace('\\"', '"') for v in _VALUE.findall(m["values"]))
            conditions.append(Condition(m["field"].lower(), values, negated=op in ("!=", "NOT IN")))
        groups.append(tuple(conditions))
    return ItemAttributeQuery(text=text, any_of=tuple(groups))


def read_queries(lines: Iterable[str], *, max_queries: int = MAX_QUERIES) -> list[ItemAttributeQuery]:
    """Validate a batch segment job's input file (JSON lines) and return its queries, in order.

    Every problem is collected (line number and reason) before raising, so one run shows them all.
    """
    reasons: list[str] = []
    queries: list[ItemAttributeQuery] = []
    seen: set[str] = set()
    count = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        count += 1
        try:
            obj: Any = json.loads(raw)
        except json.JSONDecodeError as exc:
            reasons.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if (
            not isinstance(obj, dict)
            or set(obj) != {"itemAttributes"}
            or not isinstance(obj["itemAttributes"], str)
        ):
            reasons.append(f'line {number}: expected exactly {{"itemAttributes": "<expression>"}}')
            continue
        try:
            query = parse_query(obj["itemAttributes"])
        except ValueError as exc:
            reasons.append(f"line {number}: {exc}")
            continue
        if query.text in seen:
            reasons.append(f"line {number}: duplicate query {query.text!r}")
            continue
        seen.add(query.text)
        queries.append(query)
    if count == 0:
        reasons.append("no queries: the file needs one JSON object per line")
    if count > max_queries:
        reasons.append(f"{count} queries: a batch segment job takes at most {max_queries}")
    if reasons:
        raise QueryConfigError(reasons)
    return queries


def check_num_results(num_results: int) -> int:
    if not 1 <= num_results <= MAX_NUM_RESULTS:
        raise QueryConfigError([f"numResults must be 1..{MAX_NUM_RESULTS}, got {num_results}"])
    return num_results
