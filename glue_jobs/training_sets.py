"""Glue job: the models' training sets (time-based split) or a day's scoring rows, as CSV channels.

``--mode train`` (the retraining workflow): with ``D`` = ``--as_of`` (the last day whose events label
anything; ``yesterday`` on the schedule) and ``H`` = ``--label_days``, the holdout's features are as of
``T2 = D - H`` with labels from the events of ``(T2, D]``, and the training rows' features are as of
``T1 = T2 - H`` with labels from ``(T1, T2]``: training labels end where the holdout's begin. Features
come from the feature tables of those days (``features/<table>/as_of=T/``, written by the daily jobs);
labels from the deduplicated events (``features_lib.training``). Writes
``<output_path>/<model>/as_of=D/training/`` and ``.../validation/`` (the SageMaker channels; ``<model>/run=<run_id>/`` when ``--run_id`` is given).

``--mode score``: the features of ``--as_of`` for every user (churn) and for the candidate pairs
(engagement), without labels, to ``<scoring_path>/<model>/as_of=D/``.

CSV (with a header) because the SageMaker scikit-learn container reads it with pandas alone. Locally:
``python glue_jobs/training_sets.py --lake_path .audience/lake --reference_path data --as_of 2026-11-21
--label_days 2`` (``audience.models`` runs it on local Spark).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_jobs.features_lib import io, training, transforms
from glue_jobs.features_lib.params import REQUIRED, job_name, read_options, resolve_as_of
from glue_jobs.features_lib.quality import DataQualityError

JOB = "training_sets"
ARGUMENTS = (
    "lake_path",
    "reference_path",
    "as_of",
    "mode",
    "label_days",
    "max_event_age_days",
    "top_content",
    "output_path",
    "scoring_path",
    "run_id",
    "like_weight",
    "share_weight",
    "complete_weight",
)


def _end(day: date) -> datetime:
    """The reference time of an ``as_of`` day: 00:00 UTC after it."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _table(spark: SparkSession, lake: str, name: str, day: date) -> DataFrame:
    path = f"{lake}/features/{name}/as_of={day.isoformat()}"
    try:
        return spark.read.parquet(path)
    except Exception as error:  # AnalysisException: the partition does not exist
        raise DataQualityError(
            [
                f"{name} has no as_of={day} partition at {path}: run the feature jobs for that day first ({error.__class__.__name__})"
            ]
        ) from None


def _write(df: DataFrame, path: str) -> int:
    rows = df.count()
    df.coalesce(1).write.mode("overwrite").option("header", "true").csv(path)
    return rows


def main(
    argv: Sequence[str] | None = None, spark: SparkSession | None = None, today: date | None = None
) -> dict[str, int]:
    """Run the job; returns the rows written per output."""
    args = list(sys.argv if argv is None else argv)
    options = read_options(ARGUMENTS, args)
    missing = [n for n in REQUIRED if n not in options]
    if missing:
        raise ValueError(f"missing required arguments: {', '.join('--' + n for n in missing)}")
    lake = options["lake_path"].rstrip("/")
    day = resolve_as_of(options.get("as_of", "yesterday"), today or datetime.now(UTC).date())
    mode = options.get("mode", "train")
    if mode not in ("train", "score"):
        raise ValueError(f"--mode must be train or score, not {mode!r}")
    label_days = int(options.get("label_days", "14"))
    max_age = int(options.get("max_event_age_days", "7"))
    top_content = int(options.get("top_content", "10"))
    if label_days < 1 or top_content < 1:
        raise ValueError("--label_days and --top_content must be at least 1")
    weights = tuple(
        float(options.get(n, d))
        for n, d in (("like_weight", "2"), ("share_weight", "3"), ("complete_weight", "5"))
    )
    output = options.get("output_path", f"{lake}/training-sets").rstrip("/")
    scoring = options.get("scoring_path", f"{lake}/scoring-sets").rstrip("/")

    with io.job_session(JOB, job_name(args), spark) as session, io.persisting() as keep:
        spark_ = session.spark
        catalog = io._read_csv(spark_, f"{options['reference_path'].rstrip('/')}/content_catalog.csv")
        # duration_seconds is optional in the catalog (null when absent: the models handle missing values).
        duration = F.col("duration_seconds") if "duration_seconds" in catalog.columns else F.lit(None)
        catalog = catalog.select("content_id", "content_type", "genres", duration.alias("duration_seconds"))

        def rows_of(as_of: date, candidates: DataFrame | None) -> tuple[DataFrame, DataFrame]:
            pairs = _table(spark_, lake, "user_content_features", as_of)
            users = _table(spark_, lake, "user_features", as_of)
            content = _table(spark_, lake, "content_features", as_of)
            pick = (
                candidates
                if candidates is not None
                else training.scoring_candidates(pairs, content, top_content)
            )
            engagement = training.engagement_rows(
                pick,
                pairs=pairs,
                user_features=users,
                content_features=content,
                catalog=catalog,
                as_of=as_of.isoformat(),
            )
            return training.churn_rows(users, as_of.isoformat()), engagement

        if mode == "score":
            churn, engagement = rows_of(day, None)
            return {
                "churn": _write(churn, f"{scoring}/churn/as_of={day}"),
                "engagement": _write(engagement, f"{scoring}/engagement/as_of={day}"),
            }

        holdout_day = day - timedelta(days=label_days)
        train_day = holdout_day - timedelta(days=label_days)
        first = _end(train_day).date() - timedelta(days=1)
        arrival = [first + timedelta(days=n) for n in range((day - first).days + max_age + 2)]
        raw, _ = io.read_events(spark_, lake, arrival)
        events = keep(transforms.deduplicate(transforms.flatten(raw)))
        people = io.read_users(spark_, options["reference_path"])
        written: dict[str, int] = {}
        failures: list[str] = []
        outputs: dict[str, DataFrame] = {}
        for split, as_of in (("training", train_day), ("validation", holdout_day)):
            start, end = _end(as_of), _end(as_of + timedelta(days=label_days))
            label_events = transforms.with_local_time(transforms.between(events, start, end), people)
            targets = training.engagement_targets(
                transforms.user_content_features(label_events, reference_time=end, weights=weights)  # type: ignore[arg-type]
            )
            churn, engagement = rows_of(as_of, targets)
            outputs[f"churn/{split}"] = keep(training.churn_targets(churn, events, start, end))
            outputs[f"engagement/{split}"] = keep(engagement.join(targets, ["user_id", "content_id"]))
        for name, df in outputs.items():
            counts = (
                {r["target"]: r["count"] for r in df.groupBy("target").count().collect()}
                if name.startswith("churn")
                else {}
            )
            rows = df.count()
            if rows == 0:
                failures.append(
                    f"{name}: no rows (the label window holds no events, or the horizon is not observed yet)"
                )
            elif name.startswith("churn") and len(counts) < 2:
                failures.append(f"{name}: only one class {sorted(counts)}: churn cannot be learned from it")
        if failures:
            raise DataQualityError(failures)
        for name, df in outputs.items():
            model, split = name.split("/")
            # The retraining workflow names its run (the channels' S3 prefixes must be known before the
            # job resolves `yesterday`); local runs file the sets by their last label day.
            folder = f"run={options['run_id']}" if options.get("run_id") else f"as_of={day}"
            written[name] = _write(df, f"{output}/{model}/{folder}/{split}")
        return written


if __name__ == "__main__":
    io.run_job(JOB, main)
