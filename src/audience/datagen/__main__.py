"""``python -m audience.datagen --out data/``: write the reference tables, and events if asked.

The committed ``data/`` files are exactly what this writes with the defaults; run it again after
changing the generator and commit the result (``tests/datagen/test_datagen.py`` checks they agree).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from audience.datagen.config import GeneratorConfig
from audience.datagen.events import GeneratedEvent, generate
from audience.datagen.writers import EVENTS_FILE, write_events_jsonl, write_reference_tables


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("--now needs a UTC offset, e.g. 2026-11-21T12:00:00Z")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = {f.name: f.default for f in fields(GeneratorConfig)}
    parser = argparse.ArgumentParser(
        prog="python -m audience.datagen",
        description="Write the seeded reference tables (content_catalog.csv, users.csv) and optionally events.",
    )
    parser.add_argument("--out", type=Path, default=Path("data"), help="Output folder (default: data).")
    parser.add_argument("--seed", type=int, default=defaults["seed"])
    parser.add_argument("--users", type=int, default=defaults["n_users"], help="Number of users.")
    parser.add_argument("--content", type=int, default=defaults["n_content"], help="Number of content items.")
    parser.add_argument(
        "--events",
        type=int,
        default=0,
        help=f"Also write this many events to OUT/{EVENTS_FILE} (default: none).",
    )
    parser.add_argument(
        "--now", type=_aware, default=None, help="End of the event window + 1 min (default: now)."
    )
    parser.add_argument("--window-days", type=float, default=defaults["window_days"])
    parser.add_argument("--bad-share", type=float, default=defaults["bad_share"])
    parser.add_argument("--duplicate-share", type=float, default=defaults["duplicate_share"])
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = GeneratorConfig(
        seed=args.seed,
        n_users=args.users,
        n_content=args.content,
        target_events=args.events,
        now=args.now or datetime.now(UTC),
        window_days=args.window_days,
        bad_share=args.bad_share,
        duplicate_share=args.duplicate_share,
    )
    for path in write_reference_tables(config, args.out):
        print(f"wrote {path}")
    if args.events:
        defects: Counter[str] = Counter()

        def tally(events: Iterator[GeneratedEvent]) -> Iterator[GeneratedEvent]:
            for event in events:
                defects[event.defect or ("retry" if event.is_retry else "valid")] += 1
                yield event

        started = time.perf_counter()
        count = write_events_jsonl(tally(generate(config)), args.out / EVENTS_FILE)
        elapsed = time.perf_counter() - started
        print(
            f"wrote {count:,} events to {args.out / EVENTS_FILE} in {elapsed:.1f} s ({count / elapsed:,.0f}/s)"
        )
        print(f"window {config.window_start:%Y-%m-%dT%H:%M:%SZ} .. {config.window_end:%Y-%m-%dT%H:%M:%SZ}")
        for kind, n in defects.most_common():
            print(f"  {kind:<28} {n:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
