"""Interactions, catalogue and users in Personalize's formats, as arrays the recipes train on.

The batch command's contract (issue 14) reads exactly what Personalize imports:

* interactions: ``USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE][,EVENT_VALUE]`` (any column order, extra
  columns ignored, as the bingewatch sample has ``EVENT_VALUE`` before ``EVENT_TYPE``);
* items: ``ITEM_ID`` plus optional ``GENRES`` (``|``-separated), ``CONTENT_TYPE``,
  ``CREATION_TIMESTAMP`` and ``TITLE``;
* users: Personalize's batch inference input, ``{"userId": "..."}`` per line.

Every interaction gets an *engagement weight* from its event type (a share says more than a view);
unknown types (``Watch``, ``rating``) weigh 1. ``skip`` is dropped, as the Personalize export does.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

DEFAULT_EVENT_WEIGHTS: Final[Mapping[str, float]] = {
    "view": 1.0,
    "complete": 1.5,
    "comment": 1.5,
    "like": 2.0,
    "share": 2.5,
}
EXCLUDED_EVENT_TYPES: Final = frozenset({"skip"})
REQUIRED_INTERACTION_COLUMNS: Final = ("USER_ID", "ITEM_ID", "TIMESTAMP")
SECONDS_PER_DAY: Final = 86_400.0


class InputFormatError(ValueError):
    """An input file does not follow Personalize's format; the message names the file and the problem."""


@dataclass(frozen=True)
class Item:
    item_id: str
    genres: frozenset[str] = frozenset()
    content_type: str | None = None
    created: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class InteractionLog:
    """One row per interaction (Personalize's item-interactions dataset), as columns."""

    user_id: npt.NDArray[Any]
    item_id: npt.NDArray[Any]
    timestamp: npt.NDArray[np.int64]
    event_type: npt.NDArray[Any]
    weight: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.user_id)

    def mask(self, keep: npt.NDArray[np.bool_]) -> InteractionLog:
        return InteractionLog(
            self.user_id[keep],
            self.item_id[keep],
            self.timestamp[keep],
            self.event_type[keep],
            self.weight[keep],
        )

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, str, int] | tuple[str, str, int, str]],
        event_weights: Mapping[str, float] = DEFAULT_EVENT_WEIGHTS,
    ) -> InteractionLog:
        users, items, stamps, types = [], [], [], []
        for row in rows:
            users.append(str(row[0]))
            items.append(str(row[1]))
            stamps.append(int(row[2]))
            types.append(str(row[3]) if len(row) > 3 else "")
        return cls._build(users, items, stamps, types, event_weights)

    @classmethod
    def _build(
        cls,
        users: Sequence[str] | npt.NDArray[Any],
        items: Sequence[str] | npt.NDArray[Any],
        stamps: Sequence[int] | npt.NDArray[Any],
        types: Sequence[str] | npt.NDArray[Any],
        event_weights: Mapping[str, float],
    ) -> InteractionLog:
        t = np.asarray(types, dtype=object)
        keep = np.array([str(x).lower() not in EXCLUDED_EVENT_TYPES for x in t], dtype=bool)
        weights = np.array([event_weights.get(str(x).lower(), 1.0) for x in t], dtype=np.float64)
        log = cls(
            np.asarray(users, dtype=object),
            np.asarray(items, dtype=object),
            np.asarray(stamps, dtype=np.int64),
            t,
            weights,
        )
        return log.mask(keep)


def read_interactions(
    path: Path, event_weights: Mapping[str, float] = DEFAULT_EVENT_WEIGHTS
) -> InteractionLog:
    """Read an interactions CSV with DuckDB (typed, fast on millions of rows)."""
    import duckdb

    if not path.is_file():
        raise InputFormatError(f"{path}: no such file")
    con = duckdb.connect()
    try:
        rel = con.sql(
            "SELECT * FROM read_csv($p, header = true, all_varchar = true)", params={"p": str(path)}
        )
        columns = [c.upper() for c in rel.columns]
        missing = [c for c in REQUIRED_INTERACTION_COLUMNS if c not in columns]
        if missing:
            raise InputFormatError(
                f"{path}: missing column(s) {', '.join(missing)} (have {', '.join(columns)})"
            )
        original = dict(zip(columns, rel.columns, strict=True))
        event = f'"{original["EVENT_TYPE"]}"' if "EVENT_TYPE" in columns else "''"
        try:
            cols = con.sql(
                f'SELECT "{original["USER_ID"]}" u, "{original["ITEM_ID"]}" i, '
                f"CAST(\"{original['TIMESTAMP']}\" AS BIGINT) t, coalesce({event}, '') e "
                "FROM read_csv($p, header = true, all_varchar = true)",
                params={"p": str(path)},
            ).fetchnumpy()
        except duckdb.ConversionException as exc:
            raise InputFormatError(f"{path}: TIMESTAMP must be integer epoch seconds ({exc})") from None
    finally:
        con.close()
    if len(cols["u"]) and (any(u is None for u in cols["u"]) or any(i is None for i in cols["i"])):
        raise InputFormatError(f"{path}: USER_ID and ITEM_ID must not be empty")
    return InteractionLog._build(cols["u"], cols["i"], cols["t"], cols["e"], event_weights)


def read_items(path: Path) -> list[Item]:
    """Read a Personalize items CSV: ``ITEM_ID`` plus optional metadata columns."""
    if not path.is_file():
        raise InputFormatError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8") as f:
        return parse_items(f, str(path))


def parse_items(lines: Iterable[str], source: str = "items") -> list[Item]:
    reader = csv.DictReader(lines)
    header = {h.upper(): h for h in (reader.fieldnames or [])}
    if "ITEM_ID" not in header:
        raise InputFormatError(f"{source}: missing column ITEM_ID")

    def field(row: Mapping[str, str | None], name: str) -> str:
        return (row.get(header[name]) or "").strip() if name in header else ""

    items: list[Item] = []
    for n, row in enumerate(reader, start=2):
        item_id = field(row, "ITEM_ID")
        if not item_id:
            raise InputFormatError(f"{source}: line {n}: empty ITEM_ID")
        created_text = field(row, "CREATION_TIMESTAMP")
        try:
            created = int(float(created_text)) if created_text else None
        except ValueError:
            raise InputFormatError(
                f"{source}: line {n}: CREATION_TIMESTAMP {created_text!r} is not epoch seconds"
            ) from None
        items.append(
            Item(
                item_id=item_id,
                genres=frozenset(g.strip() for g in field(row, "GENRES").split("|") if g.strip()),
                content_type=field(row, "CONTENT_TYPE") or None,
                created=created,
                title=field(row, "TITLE") or None,
            )
        )
    return items


def parse_interactions(
    lines: Iterable[str],
    source: str = "interactions",
    event_weights: Mapping[str, float] = DEFAULT_EVENT_WEIGHTS,
) -> InteractionLog:
    """The same as :func:`read_interactions` with the csv module (no DuckDB: the batch Lambda)."""
    reader = csv.DictReader(lines)
    header = {h.upper(): h for h in (reader.fieldnames or [])}
    missing = [c for c in REQUIRED_INTERACTION_COLUMNS if c not in header]
    if missing:
        raise InputFormatError(f"{source}: missing column(s) {', '.join(missing)} (have {', '.join(header)})")
    users, items, stamps, types = [], [], [], []
    for n, row in enumerate(reader, start=2):
        user, item = (row.get(header["USER_ID"]) or "").strip(), (row.get(header["ITEM_ID"]) or "").strip()
        if not user or not item:
            raise InputFormatError(f"{source}: line {n}: USER_ID and ITEM_ID must not be empty")
        try:
            stamps.append(int(row.get(header["TIMESTAMP"]) or ""))
        except ValueError:
            raise InputFormatError(f"{source}: line {n}: TIMESTAMP must be integer epoch seconds") from None
        users.append(user)
        items.append(item)
        types.append((row.get(header["EVENT_TYPE"]) or "") if "EVENT_TYPE" in header else "")
    return InteractionLog._build(users, items, stamps, types, event_weights)


def read_users(path: Path) -> list[str]:
    """Read Personalize's batch inference input: one ``{"userId": "..."}`` per line."""
    if not path.is_file():
        raise InputFormatError(f"{path}: no such file")
    users: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFormatError(f"{path}: line {n}: not JSON ({exc.msg})") from None
        user = record.get("userId") if isinstance(record, dict) else None
        if not isinstance(user, str) or not user:
            raise InputFormatError(f'{path}: line {n}: expected {{"userId": "..."}} with a non-empty string')
        users.append(user)
    return users


@dataclass
class Dataset:
    """Interactions encoded against a user and an item index (the catalogue plus interacted items)."""

    users: npt.NDArray[Any]
    items: npt.NDArray[Any]
    u: npt.NDArray[np.int64]
    i: npt.NDArray[np.int64]
    ts: npt.NDArray[np.int64]
    weight: npt.NDArray[np.float64]
    catalog: dict[str, Item] = field(default_factory=dict)
    in_catalog: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    user_index: dict[str, int] = field(default_factory=dict)
    item_index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, log: InteractionLog, catalog: Sequence[Item] | None = None) -> Dataset:
        cat = {item.item_id: item for item in catalog or ()}
        users, u = np.unique(log.user_id.astype(str), return_inverse=True)
        all_items = np.unique(np.concatenate([log.item_id.astype(str), np.asarray(list(cat), dtype=str)]))
        item_index = {str(x): n for n, x in enumerate(all_items)}
        i = np.fromiter((item_index[str(x)] for x in log.item_id), dtype=np.int64, count=len(log))
        in_catalog = (
            np.array([str(x) in cat for x in all_items], dtype=bool) if cat else np.ones(len(all_items), bool)
        )
        return cls(
            users=users.astype(object),
            items=all_items.astype(object),
            u=u.astype(np.int64),
            i=i,
            ts=log.timestamp.astype(np.int64),
            weight=log.weight.astype(np.float64),
            catalog=cat,
            in_catalog=in_catalog,
            user_index={str(x): n for n, x in enumerate(users)},
            item_index=item_index,
        )

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def matrix(self, binary: bool = True) -> Any:
        """The user x item matrix (CSR): 1 where the user interacted, or the summed weights."""
        from scipy import sparse

        data = np.ones(len(self.u)) if binary else self.weight
        m = sparse.csr_matrix((data, (self.u, self.i)), shape=(self.n_users, self.n_items), dtype=np.float64)
        m.sum_duplicates()
        if binary:
            m.data[:] = 1.0
        return m

    def item(self, index: int) -> Item:
        item_id = str(self.items[index])
        return self.catalog.get(item_id) or Item(item_id)


@dataclass(frozen=True)
class Split:
    train: InteractionLog
    holdout: InteractionLog
    description: str


def newest_share_split(log: InteractionLog, share: float = 0.2) -> Split:
    """Each user's newest ``share`` of interactions (by time, ties by item id) held out; at least one."""
    if not 0 < share < 1:
        raise ValueError("the holdout share must be in (0, 1)")
    order = np.lexsort((log.item_id.astype(str), log.timestamp, log.user_id.astype(str)))
    users = log.user_id.astype(str)[order]
    boundaries = np.flatnonzero(np.r_[True, users[1:] != users[:-1], True])
    hold = np.zeros(len(log), dtype=bool)
    for start, end in pairwise(boundaries):
        n_hold = int(np.ceil((end - start) * share))
        hold[order[end - n_hold : end]] = True
    return Split(
        train=log.mask(~hold),
        holdout=log.mask(hold),
        description=f"each user's newest {share:.0%} of interactions by time held out (at least one per user)",
    )
