"""``python -m audience.influencers``: score, job, stream, replay.

``score --posts POSTS.jsonl --as-of 2026-01-05T12:15:00Z --out DIR`` writes ``DIR/cascades.jsonl`` (one
line per original post seen by ``as_of``) and ``DIR/influencers.jsonl`` (one line per author), plus
``DIR/rejected.jsonl`` for lines that break the contract and ``DIR/run.json`` (the page's document).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _as_of(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of must be ISO-8601 with an offset, e.g. 2026-01-05T12:15:00Z, not {value!r}"
        ) from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError("--as-of needs a UTC offset (Z or +hh:mm)")
    return parsed.astimezone(UTC)


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as handle:
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
    tmp.replace(path)


def cmd_score(args: argparse.Namespace) -> int:
    from audience.influencers import wiring
    from audience.influencers.frame import ReadReport, posts_frame, read_posts_jsonl
    from audience.influencers.scoring import cascade_records, influencer_records, run_document, score

    if not args.posts.is_file():
        print(f"error: --posts {args.posts} is not a file", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    report = ReadReport()
    with args.posts.open(encoding="utf-8") as handle:
        frame = posts_frame(read_posts_jsonl(handle, report))
    settings = wiring.settings()
    scorer = None if args.no_sentiment else wiring.sentiment_scorer(settings)
    result = score(frame, args.as_of, scorer)
    cascades = cascade_records(result)
    influencers = influencer_records(result)
    _write_jsonl(out / "cascades.jsonl", cascades)
    _write_jsonl(out / "influencers.jsonl", influencers)
    _write_jsonl(out / "rejected.jsonl", report.rejected)
    document = run_document(result, influencers, cascades)
    (out / "run.json").write_text(json.dumps(document))
    if args.store:
        wiring.result_store(settings).save_run(document)
    print(
        f"{report.accepted:,} posts read ({len(report.rejected):,} rejected, see {out / 'rejected.jsonl'}); "
        f"{len(cascades):,} cascades, {len(influencers):,} authors, "
        f"{len(document['flagged']):,} flagged -> {out}",
        file=sys.stderr,
    )
    return 0


def cmd_job(args: argparse.Namespace) -> int:
    """One scoring run over the local lake, stored for the page: Spark (the Glue script) or DuckDB."""
    from audience.influencers import wiring

    settings = wiring.settings()
    as_of = args.as_of or datetime.now(UTC).replace(microsecond=0)
    if args.engine == "spark":
        report = wiring.run_scoring_job(settings, as_of.isoformat(), args.window_hours)
    else:
        report = wiring.score_lake(settings, as_of, args.window_hours)
    print(json.dumps(report, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m audience.influencers", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("score", help="Score cascades and authors from a JSONL file of contract posts")
    s.add_argument("--posts", type=Path, required=True, help="One social post per line (schemas/social.py)")
    s.add_argument("--as-of", type=_as_of, required=True, help="ISO-8601 instant, e.g. 2026-01-05T12:15:00Z")
    s.add_argument("--out", type=Path, required=True, help="Output folder")
    s.add_argument("--store", action="store_true", help="Also save the run to the serving store (the page)")
    s.add_argument("--no-sentiment", action="store_true", help="Skip sentiment (faster)")
    s.set_defaults(func=cmd_score)

    j = sub.add_parser("job", help="Score the local lake's social posts and store the run for the page")
    j.add_argument("--engine", choices=["spark", "duckdb"], default="spark")
    j.add_argument("--as-of", type=_as_of, default=None, help="ISO-8601 instant (default: now)")
    j.add_argument("--window-hours", type=float, default=None)
    j.set_defaults(func=cmd_job)

    from audience.influencers.commands import add_collect_commands

    add_collect_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
