"""File replay of research cascades into the contract: Twitter15 trees and SEISMIC-style CSV cascades.

Neither format has absolute times or texts, so a replay places each cascade at ``base`` plus its own
offsets; post ids are synthesised from the dataset's ids so a second replay deduplicates exactly.

* Twitter15 (Ma, Gao & Wong 2017): one file per source tweet, each line an edge
  ``['uid', 'tweet', 'minutes']->['uid', 'tweet', 'minutes']`` from ``ROOT`` down. A retweet carries its
  source tweet's id, so nodes are keyed by user within a tree; a user's first appearance wins.
* SEISMIC-style (``cascade_id,time_s,followers,user_id``): the first row of a cascade is the original
  post; the others reshare it (the format records no intermediate parent).
"""

from __future__ import annotations

import csv
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

DEFAULT_BASE = datetime(2015, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TreeEdge:
    parent_uid: str
    parent_minutes: float
    child_uid: str
    child_minutes: float


_NODE = r"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'\s*\]"
_EDGE = re.compile(rf"^{_NODE}\s*->\s*{_NODE}$")


def parse_tree_line(line: str) -> TreeEdge | None:
    """One Twitter15 edge; ``None`` for blank lines. Raises ``ValueError`` on a malformed line."""
    line = line.strip()
    if not line:
        return None
    match = _EDGE.match(line)
    if match is None:
        raise ValueError(f"not a tree edge: {line[:80]!r}")
    p_uid, _, p_min, c_uid, _, c_min = match.groups()
    try:
        return TreeEdge(p_uid, float(p_min), c_uid, float(c_min))
    except ValueError:
        raise ValueError(f"not a tree edge (delay is not a number): {line[:80]!r}") from None


def twitter15_posts(
    tree_id: str, lines: Iterable[str], *, base: datetime = DEFAULT_BASE
) -> list[dict[str, Any]]:
    """The posts of one tree as contract dicts (``platform: twitter``), root first, in time order."""
    first_seen: dict[str, tuple[float, str | None]] = {}
    root_uid: str | None = None
    for raw in lines:
        edge = parse_tree_line(raw)
        if edge is None:
            continue
        if edge.parent_uid == "ROOT":
            root_uid = edge.child_uid
            first_seen.setdefault(edge.child_uid, (0.0, None))
            continue
        if edge.child_uid == root_uid or edge.child_minutes < 0:
            continue
        known = first_seen.get(edge.child_uid)
        if known is None or edge.child_minutes < known[0]:
            first_seen[edge.child_uid] = (edge.child_minutes, edge.parent_uid)
    if root_uid is None:
        return []

    def post_id(uid: str) -> str:
        return tree_id if uid == root_uid else f"{tree_id}-rt-{uid}"

    posts = []
    for uid, (minutes, parent_uid) in sorted(first_seen.items(), key=lambda kv: (kv[1][0], kv[0])):
        post: dict[str, Any] = {
            "post_id": post_id(uid),
            "platform": "twitter",
            "created_at": (base + timedelta(minutes=minutes)).isoformat(),
            "author": {"id": uid},
        }
        if uid != root_uid:
            # A parent never seen as a child (dataset gaps) is read as the root.
            post["reshare_of"] = post_id(parent_uid if parent_uid in first_seen else root_uid)
        posts.append(post)
    return posts


def twitter15_archive(
    path: Path, *, base: datetime = DEFAULT_BASE
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Each tree of ``twitter15.tar.gz`` (or an extracted ``tree/`` folder) as ``(tree_id, posts)``."""
    if path.is_dir():
        for file in sorted(path.glob("*.txt")):
            yield file.stem, twitter15_posts(file.stem, file.read_text().splitlines(), base=base)
        return
    # Stream the archive in its own order: seeking back in a gzip stream re-reads it from the start.
    trees: list[tuple[str, list[dict[str, Any]]]] = []
    with tarfile.open(path, mode="r|gz") as archive:
        for member in archive:
            if not (member.isfile() and "/tree/" in member.name and member.name.endswith(".txt")):
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            tree_id = Path(member.name).stem
            text = handle.read().decode("utf-8")
            trees.append((tree_id, twitter15_posts(tree_id, text.splitlines(), base=base)))
    yield from sorted(trees, key=lambda item: item[0])


def seismic_posts(
    rows: IO[str], *, base: datetime = DEFAULT_BASE, prefix: str = "auspol"
) -> Iterator[dict[str, Any]]:
    """Posts from a ``cascade_id,time_s,followers,user_id`` CSV (``platform: twitter``)."""
    root_of: dict[str, str] = {}
    for row in csv.DictReader(rows):
        cascade = row["cascade_id"]
        seconds = float(row["time_s"])
        user = row["user_id"]
        post: dict[str, Any] = {
            "platform": "twitter",
            "created_at": (base + timedelta(seconds=seconds)).isoformat(),
            "author": {"id": f"{prefix}-{user}", "followers": int(float(row["followers"]))},
        }
        if cascade not in root_of:
            root_of[cascade] = f"{prefix}-{cascade}"
            post["post_id"] = root_of[cascade]
        else:
            post["post_id"] = f"{prefix}-{cascade}-{user}-{int(seconds)}"
            post["reshare_of"] = root_of[cascade]
        yield post
