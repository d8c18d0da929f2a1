"""The collection commands of ``python -m audience.influencers``: ``stream`` and ``replay``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def cmd_stream(args: argparse.Namespace) -> int:
    from audience.influencers import wiring
    from audience.influencers.stream import run_stream

    if args.source != "bluesky":
        print(f"error: unknown source {args.source!r} (bluesky)", file=sys.stderr)
        return 2
    s = wiring.settings()
    report = run_stream(
        wiring.frame_source(s, args.frames),
        wiring.post_sink(s, args.out),
        wiring.cursor_store(s),
        name=args.cursor_name,
        batch_size=args.batch_size,
        max_seconds=args.max_seconds,
        max_posts=args.max_posts,
    )
    print(json.dumps(report.__dict__), flush=True)
    return 0


def _replay_posts(fmt: str, path: Path) -> Iterator[dict[str, Any]]:
    from audience.influencers.connectors import replay, twitter

    if fmt == "twitter15":
        for _, posts in replay.twitter15_archive(path):
            yield from posts
    elif fmt == "seismic":
        with path.open(encoding="utf-8") as handle:
            yield from replay.seismic_posts(handle)
    elif fmt in ("twitter", "jetstream"):
        with path.open(encoding="utf-8") as handle:
            if fmt == "twitter":
                yield from twitter.iter_lines(handle)
            else:
                from audience.influencers.connectors.jetstream import read_frames

                for _, post in read_frames(handle):
                    if post is not None:
                        yield post
    else:
        raise ValueError(f"unknown format {fmt!r}")


def cmd_replay(args: argparse.Namespace) -> int:
    from audience.influencers import wiring

    if not args.path.exists():
        print(f"error: {args.path} does not exist", file=sys.stderr)
        return 2
    sink = wiring.post_sink(wiring.settings(), args.out)
    batch: list[dict[str, Any]] = []
    total = sent = 0
    for post in _replay_posts(args.format, args.path):
        batch.append(post)
        total += 1
        if len(batch) >= 500:
            sent += sink.send(batch)
            batch = []
        if args.limit and total >= args.limit:
            break
    if batch:
        sent += sink.send(batch)
    print(json.dumps({"format": args.format, "posts": total, "sent": sent}), flush=True)
    return 0


def add_collect_commands(sub: Any) -> None:
    st = sub.add_parser("stream", help="Stream a live source (Bluesky Jetstream) from its stored cursor")
    st.add_argument("--source", default="bluesky", help="bluesky")
    st.add_argument("--frames", help="Read recorded Jetstream messages from this file instead of the network")
    st.add_argument("--out", help="Append posts to this JSONL file instead of POST /social/posts")
    st.add_argument("--cursor-name", default="bluesky")
    st.add_argument("--batch-size", type=int, default=200)
    st.add_argument("--max-seconds", type=float, default=None)
    st.add_argument("--max-posts", type=int, default=None)
    st.set_defaults(func=cmd_stream)

    rp = sub.add_parser("replay", help="Replay a research dataset or a Twitter JSON file as contract posts")
    rp.add_argument("--format", required=True, choices=["twitter15", "seismic", "twitter", "jetstream"])
    rp.add_argument("--path", type=Path, required=True, help="twitter15.tar.gz, cascades.csv, a JSONL file")
    rp.add_argument("--out", help="Write posts to this JSONL file instead of POST /social/posts")
    rp.add_argument("--limit", type=int, default=0, help="Stop after this many posts (0: all)")
    rp.set_defaults(func=cmd_replay)
