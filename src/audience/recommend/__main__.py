"""``python -m audience.recommend batch|evaluate|run``: the recommendations slice's commands.

``batch`` is the contract for evaluating any Personalize-format data (issue 14)::

    python -m audience.recommend batch --interactions I.csv --items ITEMS.csv --users USERS.jsonl \\
        --recipe popularity|baseline|personalize --num-results 25 --out OUT.jsonl

``evaluate`` runs the offline comparison on such files: a per-user time holdout of I.csv (the
three recipes trained on the rest), or, with ``--lists``, on batch outputs already written (for
example a real Personalize job's), judged against ``--truth`` interactions.
``run`` is the local pipeline on the demo's lake (``make recommend``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from audience.recommend.data import InputFormatError
from audience.recommend.wiring import RECIPES, recommender


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m audience.recommend")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("batch", help="write top-N lists in Personalize's batch inference output format")
    b.add_argument(
        "--interactions",
        type=Path,
        required=True,
        help="USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE][,EVENT_VALUE]",
    )
    b.add_argument("--items", type=Path, required=True, help="ITEM_ID[,GENRES][,CREATION_TIMESTAMP]")
    b.add_argument(
        "--users", type=Path, required=True, help='batch inference input: {"userId": ...} per line'
    )
    b.add_argument("--recipe", choices=RECIPES, required=True)
    b.add_argument("--num-results", type=int, default=25)
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--baseline-mode", choices=("blend", "item-cf"), default="blend")
    b.add_argument("--half-life-days", type=float, default=None)
    e = sub.add_parser("evaluate", help="the offline comparison (holdout accuracy, list overlap, exposure)")
    e.add_argument("--interactions", type=Path, required=True)
    e.add_argument("--items", type=Path, required=True)
    e.add_argument("--holdout", type=float, default=0.2, help="each user's newest share held out")
    e.add_argument("--num-results", type=int, default=25)
    e.add_argument("--new-days", type=float, default=30.0)
    e.add_argument(
        "--lists",
        nargs=2,
        type=Path,
        metavar=("BASELINE.jsonl", "PERSONALIZE.jsonl"),
        help="compare these batch outputs instead of training (I.csv is then the training data)",
    )
    e.add_argument("--truth", type=Path, help="with --lists: interactions after training, for accuracy")
    e.add_argument("--out", type=Path, help="write the report JSON here too")
    r = sub.add_parser("run", help="the local pipeline: train, write lists and the table, evaluate, report")
    r.add_argument(
        "--datasets",
        type=Path,
        default=None,
        help="interactions.csv, items.csv, users.csv (default: $AUDIENCE_HOME/personalize/datasets, "
        "written by `python -m audience.activation export`)",
    )
    r.add_argument("--catalog", type=Path, default=Path("data/content_catalog.csv"), help="for item titles")
    r.add_argument("--num-results", type=int, default=25)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "batch":
            from audience.recommend.batch import run_batch

            summary = run_batch(
                recommender(
                    args.recipe, baseline_mode=args.baseline_mode, half_life_days=args.half_life_days
                ),
                interactions=args.interactions,
                items=args.items,
                users=args.users,
                num_results=args.num_results,
                out=args.out,
            )
            print(json.dumps(asdict(summary), indent=2))
        elif args.command == "evaluate":
            report = _evaluate(args)
            text = json.dumps(report, indent=2, default=str)
            if args.out:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(text + "\n")
            print(text)
        else:
            print(json.dumps(_run(args), indent=2, default=str))
    except (InputFormatError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _run(args: argparse.Namespace) -> dict[str, Any]:
    from audience.recommend.settings import RecommendSettings
    from audience.recommend.stage import run_local
    from audience.recommend.wiring import recipe_factories, recommendations_table

    settings = RecommendSettings()
    home = settings.home.resolve()
    datasets = args.datasets or home / "personalize" / "datasets"
    report = run_local(
        home=home,
        interactions=datasets / "interactions.csv",
        items=datasets / "items.csv",
        users=datasets / "users.csv",
        recommenders=recipe_factories(),
        table=recommendations_table(settings),
        catalog_csv=args.catalog,
        num_results=args.num_results,
        ttl_seconds=settings.recommendation_ttl_seconds,
        progress=lambda message: print(message, file=sys.stderr),
    )
    report.pop("side_by_side", None)
    report["offline"].get("lists", {}).pop("rank_shifts", None)
    return report


def _evaluate(args: argparse.Namespace) -> dict[str, Any]:
    from audience.recommend.data import read_interactions, read_items
    from audience.recommend.evaluate import holdout_evaluation
    from audience.recommend.filecompare import compare_files

    if args.lists:
        return compare_files(
            args.interactions,
            args.items,
            args.lists[0],
            args.lists[1],
            truth=args.truth,
            k=args.num_results,
            new_days=args.new_days,
        )
    return holdout_evaluation(
        read_interactions(args.interactions),
        read_items(args.items),
        [recommender(name) for name in RECIPES],
        holdout_share=args.holdout,
        num_results=args.num_results,
        new_days=args.new_days,
        dataset=str(args.interactions),
    )


if __name__ == "__main__":
    raise SystemExit(main())
