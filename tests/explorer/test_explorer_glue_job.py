from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from explorer_testkit import small_config
from moto import mock_aws

from audience.core.objectstore.adapters.aws import S3ObjectStore
from audience.datagen.users import users
from audience.datagen.writers import write_users_csv
from audience.explorer import lakeio
from audience.explorer.profiles import RICH_FILE, write_rich_csv
from glue_jobs import explorer_segmentation
from schemas.lake_tables import SegmentAssignments

ROOT = Path(__file__).parents[2]


def _reference(folder: Path) -> Path:
    config = small_config(600)
    write_rich_csv(config, folder / RICH_FILE)
    write_users_csv(users(config), folder / "users.csv")
    return folder


def test_explorer_glue_job_writes_segments_to_a_local_lake(tmp_path: Path) -> None:
    # GIVEN reference files in a folder and an empty lake folder
    ref = _reference(tmp_path / "ref")
    # WHEN the job runs with Glue-style arguments (and Glue's own, which it ignores)
    report = explorer_segmentation.main(
        [
            "--JOB_NAME",
            "x",
            "--lake_path",
            str(tmp_path / "lake"),
            "--reference_path",
            str(ref),
            "--as_of",
            "2026-11-20",
            "--k",
            "6",
        ]
    )
    # THEN the agreed tables are in the lake for that day
    assert report.as_of == "2026-11-20"
    for table in (lakeio.ASSIGNMENTS, lakeio.PROFILES, lakeio.AFFINITY, lakeio.RUNS):
        assert list((tmp_path / "lake" / table / "as_of=2026-11-20").iterdir())


def test_explorer_glue_job_reads_and_writes_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    # GIVEN a lake bucket holding the reference files (moto)
    ref = _reference(tmp_path)
    with mock_aws():
        store = S3ObjectStore("lake")
        s3 = store.client
        s3.create_bucket(Bucket="lake")
        for name in (RICH_FILE, "users.csv"):
            store.put_object(f"reference/{name}", (ref / name).read_bytes())
        # WHEN the job runs against s3:// paths
        report = explorer_segmentation.main(
            [
                "--lake_path",
                "s3://lake",
                "--reference_path",
                "s3://lake/reference",
                "--as_of",
                "2026-11-20",
                "--k",
                "6",
            ]
        )
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="segments/")["Contents"]]
        assignments = pq.read_table(
            io.BytesIO(store.get_object("segments/assignments/as_of=2026-11-20/part-00000.parquet"))
        )
    # THEN the assignments (with the agreed columns) and the run document are in the bucket
    assert "segments/assignments/as_of=2026-11-20/part-00000.parquet" in keys
    assert "segments/runs/as_of=2026-11-20/run.json" in keys
    # AND the assignments are exactly the shared contract (schemas/lake_tables.py) that Athena reads
    assert assignments.column_names == list(SegmentAssignments.model_fields)
    for row in assignments.slice(0, 50).to_pylist():
        SegmentAssignments.model_validate(row)
    assert report.results["kmeans"].ari is not None


def test_explorer_glue_library_zip_holds_the_job_code_and_nothing_local(tmp_path: Path) -> None:
    # GIVEN the packager of the job's --extra-py-files
    import zipfile

    from packager_kit import packager

    artefact = packager().ARTEFACTS["explorer_lib"]
    # WHEN it builds the zip twice
    first = artefact.build(tmp_path / "a.zip").read_bytes()
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    second = artefact.build(tmp_path / "b.zip").read_bytes()
    # THEN the job's imports are there, the local backend and the web UI are not, and it is reproducible
    for needed in (
        "audience/explorer/job.py",
        "audience/core/objectstore/adapters/aws.py",
        "audience/datagen/users.py",
    ):
        assert needed in names
    local_only = (
        "audience/web/",
        "audience/ingest/adapters/local/",
        "audience/core/objectstore/adapters/local",
    )
    assert not [n for n in names if n.startswith(local_only) or n.startswith("devhost/")]
    assert first == second
