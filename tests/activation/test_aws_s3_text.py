"""S3 objects as text streams (moto): lines streamed in, parts uploaded out, nothing left on failure;
and the interactions-preparation handler end to end on the Athena result fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_testkit import LAKE_BUCKET

from audience.activation.adapters.aws.s3_text import MIB, S3TextObjects
from functions.personalize_prepare.app import handler

ATHENA_RESULT = Path(__file__).parents[1] / "fixtures" / "athena_interactions_result.csv"


class Context:
    function_name = "prepare"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:prepare"
    aws_request_id = "req-1"


def test_large_write_goes_up_in_parts_and_reads_back_line_by_line(s3: Any) -> None:
    # GIVEN a store with the smallest part S3 allows, and about 11 MiB of lines
    store = S3TextObjects(LAKE_BUCKET, client=s3, part_size=5 * MIB)
    line = "u-000123,c-0042,view,0.85,1764460800\n"
    count = (11 * MIB) // len(line)
    # WHEN they are written, then read
    with store.writer("big/interactions.csv") as out:
        for _ in range(count):
            out.write(line)
    head = s3.head_object(Bucket=LAKE_BUCKET, Key="big/interactions.csv", PartNumber=1)
    lines = list(store.read_lines("big/interactions.csv"))
    # THEN the object was assembled from 3 parts and holds every line, endings included
    assert head["PartsCount"] == 3
    assert len(lines) == count and lines[0] == line and lines[-1] == line


def test_small_write_is_one_put(s3: Any) -> None:
    # GIVEN a store
    store = S3TextObjects(LAKE_BUCKET, client=s3)
    # WHEN less than a part is written
    with store.writer("small.csv") as out:
        out.write("a,b\n1,2\n")
    # THEN the object is there, whole, without a multipart upload
    assert s3.get_object(Bucket=LAKE_BUCKET, Key="small.csv")["Body"].read() == b"a,b\n1,2\n"
    assert "PartsCount" not in s3.head_object(Bucket=LAKE_BUCKET, Key="small.csv", PartNumber=1)


def test_failed_write_leaves_no_object_and_no_open_upload(s3: Any) -> None:
    # GIVEN a store, and a writer that fails after one part went up
    store = S3TextObjects(LAKE_BUCKET, client=s3, part_size=5 * MIB)
    # WHEN the block raises
    with pytest.raises(RuntimeError), store.writer("broken.csv") as out:
        out.write("x" * (6 * MIB))
        out.flush()
        raise RuntimeError("export went wrong")
    # THEN nothing was written and the upload was aborted
    assert "Contents" not in s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix="broken")
    assert not s3.list_multipart_uploads(Bucket=LAKE_BUCKET).get("Uploads")


def test_missing_object_reads_as_file_not_found(s3: Any) -> None:
    # GIVEN an empty bucket
    store = S3TextObjects(LAKE_BUCKET, client=s3)
    # WHEN a missing key is read
    # THEN it is FileNotFoundError, as with the folder store
    with pytest.raises(FileNotFoundError):
        list(store.read_lines("nope.csv"))


def test_prepare_handler_rewrites_athenas_export_for_personalize(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN Athena's result in the lake and the aws backend
    s3.put_object(Bucket=LAKE_BUCKET, Key="personalize/exports/qe-1.csv", Body=ATHENA_RESULT.read_bytes())
    monkeypatch.setenv("AUDIENCE_BACKEND", "aws")
    monkeypatch.setenv("AUDIENCE_LAKE_BUCKET", LAKE_BUCKET)
    from audience.core.settings import get_settings

    get_settings.cache_clear()
    event = {
        "source_key": "personalize/exports/qe-1.csv",
        "target_key": "personalize/exports/prepared/qe-1.csv",
    }
    # WHEN the handler runs
    try:
        result = handler(event, Context(), objects=S3TextObjects(LAKE_BUCKET, client=s3))
    finally:
        get_settings.cache_clear()
    # THEN the prepared file has the schema's unquoted header and every row
    body = s3.get_object(Bucket=LAKE_BUCKET, Key=event["target_key"])["Body"].read().decode()
    assert body.splitlines()[0] == "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP"
    assert result == {
        "location": f"s3://{LAKE_BUCKET}/personalize/exports/prepared/qe-1.csv",
        "rows": len(ATHENA_RESULT.read_text().splitlines()) - 1,
    }
