"""``python -m audience.features [--as-of DATE] [--job NAME ...]``: the feature jobs on the local lake."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audience.core.settings import get_settings
from audience.features.wiring import (
    JOBS,
    REFERENCE_DIR,
    GlueJobError,
    JavaMissingError,
    JobDataQualityError,
    run_features,
)


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m audience.features",
        description="Run the Glue feature jobs locally on $AUDIENCE_HOME/lake, as Glue runs them, on one Spark session.",
    )
    parser.add_argument(
        "--as-of",
        default="today",
        help="the last day of the window: YYYY-MM-DD, 'today' (default, UTC) or 'yesterday'",
    )
    parser.add_argument("--job", action="append", choices=JOBS, help="run only this job (repeatable)")
    parser.add_argument("--lake", default=str(settings.lake_dir), help="lake folder (default: %(default)s)")
    parser.add_argument("--reference", default=str(REFERENCE_DIR), help="folder of the reference CSVs")
    parser.add_argument("--lookback-days", type=int, help="window length in days (jobs' default: 28)")
    args = parser.parse_args(argv)
    options = {} if args.lookback_days is None else {"lookback_days": str(args.lookback_days)}

    events = Path(args.lake) / "engagement-events"
    if not any(events.rglob("*.parquet")):
        print(
            f"the lake ({args.lake}) holds no engagement events: run `make demo` first "
            "(or post events to `make serve`, which writes them there)",
            file=sys.stderr,
        )
        return 1

    try:
        run_features(
            Path(args.lake), Path(args.reference), args.as_of, jobs=args.job or JOBS, options=options
        )
    except JavaMissingError as error:
        print(error, file=sys.stderr)
        return 2
    except JobDataQualityError as error:
        print(f"{error.job}: {error}", file=sys.stderr)
        return 1
    except GlueJobError as error:
        print(error, file=sys.stderr)
        return 1
    except ValueError as error:  # a bad --as-of or job argument
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"features written under {args.lake}/features/<table>/as_of=<date>/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
