"""Reshare cascades: which cascade each post belongs to, and the metrics of each cascade.

Pure pandas/numpy, no I/O: the scoring command (DuckDB reads the posts) and the Glue job (Spark reads
the lake, groups by cascade and calls :func:`cascade_metrics` per group with ``applyInPandas``) run
this very module, so the two paths cannot drift apart.

The posts frame (:data:`POST_COLUMNS`) has one row per post: ``post_key`` (``platform:post_id``), its
``parent_key`` (what it reshares or quotes, or null), ``author_id``, ``created_ts`` (Unix seconds) and
``followers`` (NaN when unknown). Replies are conversation, not spread: they do not join a cascade.

Definitions (``docs/influencers.md``):

* size: posts in the cascade at ``as_of``, the root included;
* depth: the longest root-to-post path, in reshare hops (a lone root has depth 0);
* breadth: the most posts at any one depth;
* structural virality (Goel et al. 2016): the mean shortest-path distance over all pairs of posts
  in the tree, ``sum over edges of s(n - s) / (n(n-1)/2)`` with ``s`` the subtree size below the
  edge (the Wiener index identity for trees), 0 for a lone root;
* time to the first N reshares, in seconds after the root;
* predicted final size: a SEISMIC-style estimate (Zhao et al. 2015) from the observed reshares, each
  weighted by its poster's reach, and a power-law memory kernel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

POST_COLUMNS: Final = ("post_key", "parent_key", "author_id", "created_ts", "followers")
RESHARE_MILESTONES: Final = (1, 10, 50)
"""``time_to_<N>`` columns: seconds from the root to its N-th reshare (null if not reached)."""

CASCADE_COLUMNS: Final = (
    "root_post_id",
    "root_key",
    "author_id",
    "root_created_ts",
    "size",
    "depth",
    "breadth",
    "structural_virality",
    *(f"time_to_{n}" for n in RESHARE_MILESTONES),
    "last_reshare_ts",
    "predicted_final_size",
)


@dataclass(frozen=True)
class SeismicParams:
    """The memory kernel: constant for ``s0`` seconds, then a power law with exponent ``1 + theta``.

    theta and s0 are SEISMIC's published values for Twitter (0.242, 300 s). ``window`` was chosen on
    the even-numbered half of Twitter15's trees; ``bench/influencers.py`` repeats that choice and
    reports the other half only."""

    theta: float = 0.242
    s0: float = 300.0
    unknown_followers: float = 1.0
    """Weight of a post whose poster's follower count is unknown (scaled like known counts)."""
    window: float = 600.0
    """Seconds of recent activity the current infectiousness is estimated from."""
    max_growth: float = 50.0
    """A cap on predicted / observed size: one burst must not predict an unbounded cascade."""


def resolve_roots(posts: pd.DataFrame, as_of: float) -> pd.DataFrame:
    """Posts seen by ``as_of`` with ``root_key``, ``tree_parent`` (the nearest seen ancestor) and ``hops``.

    A reshare whose parent was not seen by ``as_of`` hangs under the nearest ancestor that was (ancestry
    is followed through posts in the input created after ``as_of``); if no ancestor was seen it is the
    root of its own cascade. Cycles (bad data) are broken at the first repeated post.
    """
    frame = posts.drop_duplicates("post_key", keep="first")
    parent_of: dict[str, str | None] = dict(
        zip(frame["post_key"].tolist(), _nullable(frame["parent_key"]), strict=True)
    )
    seen_mask = frame["created_ts"].to_numpy(dtype="float64") <= as_of
    seen = frame.loc[seen_mask].copy()
    seen_keys = set(seen["post_key"].tolist())

    tree_parent: dict[str, str | None] = {}
    for key in seen["post_key"].tolist():
        parent = parent_of.get(key)
        visited = {key}
        while parent is not None and parent not in seen_keys:
            if parent in visited:
                parent = None
                break
            visited.add(parent)
            parent = parent_of.get(parent)
        if parent in visited:  # a cycle through seen posts
            parent = None
        tree_parent[key] = parent

    root_of: dict[str, str] = {}
    hops_of: dict[str, int] = {}
    for key in tree_parent:
        if key in root_of:
            continue
        chain = [key]
        node = tree_parent[key]
        on_chain = {key}
        while node is not None and node not in root_of and node not in on_chain:
            chain.append(node)
            on_chain.add(node)
            node = tree_parent[node]
        if node is None or node in on_chain:  # reached a root, or a cycle: its last post is the root
            if node in on_chain:
                tree_parent[chain[-1]] = None
            root, hops = chain[-1], 0
            chain.pop()
            root_of[root], hops_of[root] = root, 0
        else:
            root, hops = root_of[node], hops_of[node]
        for member in reversed(chain):
            hops += 1
            root_of[member], hops_of[member] = root, hops
    seen["tree_parent"] = [tree_parent[k] for k in seen["post_key"].tolist()]
    seen["root_key"] = [root_of[k] for k in seen["post_key"].tolist()]
    seen["hops"] = np.array([hops_of[k] for k in seen["post_key"].tolist()], dtype="int64")
    return seen.reset_index(drop=True)


def _nullable(series: pd.Series) -> list[str | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in series]


def kernel_mass(elapsed: np.ndarray, params: SeismicParams) -> np.ndarray:
    """Share of a post's eventual reshares expected within ``elapsed`` seconds (the kernel's CDF)."""
    theta, s0 = params.theta, params.s0
    c0 = 1.0 / (s0 * (1.0 + 1.0 / theta))
    elapsed = np.maximum(elapsed, 0.0)
    early = c0 * elapsed
    late = c0 * s0 + (c0 * s0 / theta) * (1.0 - np.power(np.maximum(elapsed, s0) / s0, -theta))
    mass: np.ndarray = np.where(elapsed <= s0, early, late)
    return mass


def cascade_metrics(members: pd.DataFrame, as_of: float, params: SeismicParams | None = None) -> pd.DataFrame:
    """One row per cascade (:data:`CASCADE_COLUMNS`) from :func:`resolve_roots`' output.

    Works on any number of cascades at once (the scoring command passes all of them, the Glue job one
    group at a time), vectorised over posts.
    """
    params = params or SeismicParams()
    if members.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in CASCADE_COLUMNS})
    m = members[
        ["post_key", "tree_parent", "root_key", "hops", "created_ts", "author_id", "followers"]
    ].copy()
    m = m.sort_values(["root_key", "hops", "created_ts", "post_key"], kind="stable").reset_index(drop=True)

    sizes = m.groupby("root_key", sort=False).size()
    n_of = m["root_key"].map(sizes).to_numpy(dtype="float64")

    # Subtree sizes, deepest level first: each post adds its subtree to its parent's.
    index_of = pd.Series(np.arange(len(m)), index=m["post_key"].to_numpy())
    parent_idx = m["tree_parent"].map(index_of).to_numpy(dtype="float64")  # NaN for roots
    subtree = np.ones(len(m), dtype="float64")
    hops = m["hops"].to_numpy()
    for level in range(int(hops.max()), 0, -1):
        at = np.flatnonzero(hops == level)
        np.add.at(subtree, parent_idx[at].astype("int64"), subtree[at])
    non_root = ~np.isnan(parent_idx)
    wiener_terms = np.where(non_root, subtree * (n_of - subtree), 0.0)
    wiener = pd.Series(wiener_terms).groupby(m["root_key"].to_numpy(), sort=False).sum()

    roots = m.loc[m["hops"] == 0].set_index("root_key")
    out = pd.DataFrame(index=sizes.index)
    out["root_key"] = sizes.index
    out["root_post_id"] = [k.split(":", 1)[1] if ":" in k else k for k in sizes.index]
    out["author_id"] = roots["author_id"].reindex(sizes.index).to_numpy()
    out["root_created_ts"] = roots["created_ts"].reindex(sizes.index).to_numpy(dtype="float64")
    out["size"] = sizes.astype("int64")
    out["depth"] = m.groupby("root_key", sort=False)["hops"].max().astype("int64")
    out["breadth"] = m.groupby(["root_key", "hops"], sort=False).size().groupby(level=0).max().astype("int64")
    pairs = sizes.astype("float64") * (sizes.astype("float64") - 1.0) / 2.0
    out["structural_virality"] = np.where(pairs > 0, wiener.reindex(sizes.index) / pairs.replace(0, 1), 0.0)

    reshares = m.loc[m["hops"] > 0, ["root_key", "created_ts"]].copy()
    reshares["elapsed"] = reshares["created_ts"].to_numpy() - reshares["root_key"].map(
        out["root_created_ts"]
    ).to_numpy(dtype="float64")
    reshares = reshares.sort_values(["root_key", "elapsed"], kind="stable")
    reshares["nth"] = reshares.groupby("root_key", sort=False).cumcount() + 1
    for n in RESHARE_MILESTONES:
        hit = reshares.loc[reshares["nth"] == n].set_index("root_key")["elapsed"]
        out[f"time_to_{n}"] = hit.reindex(sizes.index).to_numpy(dtype="float64")
    out["last_reshare_ts"] = reshares.groupby("root_key", sort=False)["created_ts"].max().reindex(sizes.index)

    out["predicted_final_size"] = _seismic(m, out, as_of, params)
    return out.reset_index(drop=True)[list(CASCADE_COLUMNS)]


def _seismic(m: pd.DataFrame, out: pd.DataFrame, as_of: float, params: SeismicParams) -> np.ndarray:
    """Expected final size: observed + current infectiousness x the kernel mass still to come.

    Infectiousness is SEISMIC's p_t (reshares per unit of reach-weighted kernel mass), estimated over
    the last ``params.window`` seconds only, so a cascade that has gone quiet is not credited with its
    early burst. Reach is ``log2(2 + followers)`` so one celebrity does not dominate and a missing
    count is a plain post.
    """
    followers = m["followers"].to_numpy(dtype="float64")
    weight = np.log2(2.0 + np.where(np.isnan(followers), params.unknown_followers, followers))
    elapsed = as_of - m["created_ts"].to_numpy(dtype="float64")
    mass = kernel_mass(elapsed, params)
    mass_in_window = mass - kernel_mass(elapsed - params.window, params)
    recent = (elapsed <= params.window) & (m["hops"].to_numpy() > 0)
    frame = pd.DataFrame(
        {
            "root_key": m["root_key"].to_numpy(),
            "window": weight * mass_in_window,
            "left": weight * (1.0 - mass),
            "recent": recent.astype("float64"),
        }
    )
    sums = frame.groupby("root_key", sort=False)[["window", "left", "recent"]].sum().reindex(out.index)
    size = out["size"].to_numpy(dtype="float64")
    window_mass = sums["window"].to_numpy()
    infectiousness = np.where(window_mass > 0, sums["recent"].to_numpy() / np.maximum(window_mass, 1e-9), 0.0)
    predicted = size + infectiousness * sums["left"].to_numpy()
    capped: np.ndarray = np.round(np.minimum(predicted, size * params.max_growth), 3)
    return capped


def metrics_for_rows(rows: Mapping[str, list[object]], as_of: float) -> pd.DataFrame:
    """Convenience for tests and small callers: a posts frame from columns, resolved and measured."""
    return cascade_metrics(resolve_roots(pd.DataFrame(rows), as_of), as_of)
