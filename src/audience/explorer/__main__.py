"""``python -m audience.explorer``: write ``rich_audience_data.csv``, or run the segmentation job.

python -m audience.explorer generate --out data/
python -m audience.explorer segment [--k 6] [--as-of 2026-11-22]   # into $AUDIENCE_HOME/lake
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from audience.explorer.profiles import RICH_FILE, ProfileFileError


def main(argv: Sequence[str] | None = None) -> int:
    from audience.core.settings import get_settings

    root = get_settings().project_root
    parser = argparse.ArgumentParser(prog="python -m audience.explorer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help=f"write {RICH_FILE} for the generated users")
    gen.add_argument("--out", type=Path, default=Path("data"))
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--users", type=int, default=5_000)
    seg = sub.add_parser("segment", help="run the segmentation job on the local lake")
    seg.add_argument("--profiles", type=Path, default=root / "data" / RICH_FILE)
    seg.add_argument("--users-csv", type=Path, default=root / "data" / "users.csv")
    seg.add_argument("--k", type=int, default=None, help="fix k-means' k (default: best silhouette)")
    seg.add_argument("--k-min", type=int, default=3)
    seg.add_argument("--k-max", type=int, default=10)
    seg.add_argument("--as-of", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)

    if args.command == "generate":
        from audience.datagen import GeneratorConfig
        from audience.explorer.profiles import write_rich_csv

        count = write_rich_csv(GeneratorConfig(seed=args.seed, n_users=args.users), args.out / RICH_FILE)
        print(f"wrote {args.out / RICH_FILE} ({count:,} users)")
        return 0

    from audience.core.objectstore.wiring import folder_store
    from audience.core.settings import get_settings
    from audience.explorer.job import JobConfig, run

    settings = get_settings()
    config = JobConfig(
        profiles_csv=args.profiles,
        users_csv=args.users_csv,
        k=args.k,
        k_min=args.k_min,
        k_max=args.k_max,
        min_users=settings.explorer_min_users,
    )
    if args.as_of:
        config.as_of = args.as_of
    try:
        report = run(config, folder_store(settings.lake_dir), progress=print)
    except ProfileFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {len(report.keys)} objects under {settings.lake_dir} (model version {report.model_version})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
