"""``python -m audience.activation [segments|evaluate-movielens PATH]`` on the local backend."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from audience.activation.evaluate import evaluate_movielens
from audience.activation.export import export_datasets, has_events
from audience.activation.stage import run_segments
from audience.activation.tables import print_evaluation, segments_table
from audience.core.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    root = get_settings().project_root
    parser = argparse.ArgumentParser(prog="python -m audience.activation")
    sub = parser.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("segments", help="export, train the local model, write segments, activate")
    seg.add_argument("--data", type=Path, default=root / "data")
    seg.add_argument("--num-results", type=int, default=None)
    seg.add_argument("--json", action="store_true", help="print the full report as JSON instead of the table")
    ex = sub.add_parser("export", help="write interactions/items/users CSVs for Personalize's import jobs")
    ex.add_argument("--data", type=Path, default=root / "data")
    ex.add_argument("--out", type=Path, default=None, help="default: $AUDIENCE_HOME/personalize/datasets")
    ml = sub.add_parser("evaluate-movielens", help="holdout evaluation on MovieLens ml-latest-small")
    ml.add_argument("path", type=Path, help="the MovieLens ml-latest-small folder (ratings.csv, movies.csv)")
    args = parser.parse_args(argv)
    settings = get_settings()
    lake = settings.home.resolve() / "lake"
    if args.command in ("segments", "export") and not has_events(lake):
        return fail(
            f"no engagement events under {lake}: run `make demo` first (or post events to `make serve`)"
        )
    if args.command == "segments":
        report = run_segments(
            settings,
            args.data,
            num_results=args.num_results,
            progress=(lambda _: None) if args.json else print,
        )
        if args.json:
            print(
                json.dumps(
                    {
                        "datasets": report.datasets,
                        "postprocess": report.postprocess,
                        "evaluation": report.evaluation,
                    },
                    indent=2,
                    default=str,
                )
            )
        else:
            console = Console()
            console.print(segments_table(report))
            print_evaluation(report, console)
            console.print("[dim]the full report as JSON: make segments JSON=1[/dim]")
    elif args.command == "export":
        out = args.out or settings.home.resolve() / "personalize" / "datasets"
        exported = export_datasets(lake, args.data, out)
        print(json.dumps({k: str(v) for k, v in exported.files.items()}, indent=2))
    else:
        if not all((args.path / name).is_file() for name in ("ratings.csv", "movies.csv")):
            return fail(
                f"MovieLens ml-latest-small is not at {args.path} (ratings.csv and movies.csv): it comes from "
                "../shared/data/movielens-small beside this checkout (https://grouplens.org/datasets/movielens/, "
                "ml-latest-small); give its folder with MOVIELENS=/path/to/ml-latest-small make segments-eval"
            )
        print(json.dumps(evaluate_movielens(args.path).as_dict(), indent=2))
    return 0


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
