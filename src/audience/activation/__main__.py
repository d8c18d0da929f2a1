"""``python -m audience.activation [segments|evaluate-movielens PATH]`` on the local backend."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from audience.activation.evaluate import evaluate_movielens
from audience.activation.export import export_datasets
from audience.activation.stage import run_segments
from audience.core.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    root = get_settings().project_root
    parser = argparse.ArgumentParser(prog="python -m audience.activation")
    sub = parser.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("segments", help="export, train the local model, write segments, activate")
    seg.add_argument("--data", type=Path, default=root / "data")
    seg.add_argument("--num-results", type=int, default=None)
    ex = sub.add_parser("export", help="write interactions/items/users CSVs for Personalize's import jobs")
    ex.add_argument("--data", type=Path, default=root / "data")
    ex.add_argument("--out", type=Path, default=None, help="default: $AUDIENCE_HOME/personalize/datasets")
    ml = sub.add_parser("evaluate-movielens", help="holdout evaluation on MovieLens ml-latest-small")
    ml.add_argument("path", type=Path, nargs="?", default=root.parent / "shared" / "data" / "movielens-small")
    args = parser.parse_args(argv)
    if args.command == "segments":
        report = run_segments(get_settings(), args.data, num_results=args.num_results, progress=print)
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
    elif args.command == "export":
        settings = get_settings()
        out = args.out or settings.home.resolve() / "personalize" / "datasets"
        exported = export_datasets(settings.home.resolve() / "lake", args.data, out)
        print(json.dumps({k: str(v) for k, v in exported.files.items()}, indent=2))
    else:
        print(json.dumps(evaluate_movielens(args.path).as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
