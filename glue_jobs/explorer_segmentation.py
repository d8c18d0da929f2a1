"""Glue job: the Explorer's segmentation (``segments/`` tables) over the latest profiles and features.

The same code as ``make demo``'s stage (:func:`audience.explorer.job.run`), on the Glue 5.0 driver
(Python 3.11, as locally; scikit-learn pinned through ``--additional-python-modules``, the
``audience`` package through ``--extra-py-files``). No Spark: the audience fits one machine (the
benchmark segments a million users on a laptop core in well under a minute), so the job reads and
writes through the lake's :class:`~audience.core.objectstore.ports.ObjectStore` (S3 in Glue, a folder locally).

Arguments (Glue passes ``--name value`` pairs, plus its own, which are ignored):

* ``--lake_path``: ``s3://<lake bucket>`` or a local lake folder;
* ``--reference_path``: where ``rich_audience_data.csv`` (and ``users.csv``) are: ``s3://<bucket>/reference``
  or a local folder;
* ``--as_of``: ``YYYY-MM-DD`` or ``today`` (the partition the job writes);
* ``--k``: k-means' k, or ``auto`` (best silhouette over ``--k_min``..``--k_max``);
* ``--min_users``: fewer engaged users than this make an affinity score low-confidence.

Locally: ``python glue_jobs/explorer_segmentation.py --lake_path .audience/lake --reference_path data``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from audience.explorer.job import JobConfig, JobReport, run
from audience.explorer.profiles import RICH_FILE

if TYPE_CHECKING:  # the port is only a type here: the Glue job ships without schemas/
    from audience.core.objectstore.ports import ObjectStore


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="explorer_segmentation")
    parser.add_argument("--lake_path", required=True)
    parser.add_argument("--reference_path", required=True)
    parser.add_argument("--as_of", default="today")
    parser.add_argument("--k", default="auto")
    parser.add_argument("--k_min", type=int, default=3)
    parser.add_argument("--k_max", type=int, default=10)
    parser.add_argument("--min_users", type=int, default=30)
    args, _ = parser.parse_known_args(list(argv))
    return args


def store_for(path: str) -> tuple[ObjectStore, str]:
    """The object store and key prefix for ``s3://bucket/prefix`` or a local folder."""
    from audience.core.objectstore.wiring import bucket_store, folder_store

    if path.startswith("s3://"):
        bucket, _, prefix = path[len("s3://") :].partition("/")
        return bucket_store(bucket), prefix.strip("/")
    return folder_store(Path(path)), ""


def _fetch(path: str, name: str, into: Path) -> Path | None:
    store, prefix = store_for(path)
    try:
        body = store.get_object(f"{prefix}/{name}" if prefix else name)
    except FileNotFoundError:
        return None
    target = into / name
    target.write_bytes(body)
    return target


def main(argv: Sequence[str] | None = None, today: date | None = None) -> JobReport:
    args = parse(sys.argv[1:] if argv is None else argv)
    as_of = (today or datetime.now(UTC).date()) if args.as_of == "today" else date.fromisoformat(args.as_of)
    lake, prefix = store_for(args.lake_path)
    if prefix:
        raise SystemExit("--lake_path must be a bucket (s3://bucket) or a folder: the lake has no prefix")
    with tempfile.TemporaryDirectory() as tmp:
        profiles = _fetch(args.reference_path, RICH_FILE, Path(tmp))
        if profiles is None:
            raise SystemExit(f"{RICH_FILE} not found under {args.reference_path}")
        config = JobConfig(
            profiles_csv=profiles,
            users_csv=_fetch(args.reference_path, "users.csv", Path(tmp)),
            as_of=as_of,
            k=None if args.k == "auto" else int(args.k),
            k_min=args.k_min,
            k_max=args.k_max,
            min_users=args.min_users,
        )
        return run(config, lake, progress=print)


if __name__ == "__main__":
    report = main()
    print(f"segments written: {report.keys} (model version {report.model_version})")
