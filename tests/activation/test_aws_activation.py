"""The AWS activation destinations: Pinpoint (moto S3 + Stubber) and Connect Customer Profiles (Stubber,
request and response shapes checked against botocore's service model)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from aws_testkit import LAKE_BUCKET, client
from botocore.stub import ANY, Stubber

from audience.activation.adapters.aws.customer_profiles import CustomerProfilesDestination, sse_c_headers
from audience.activation.adapters.aws.pinpoint import PinpointDestination
from audience.activation.endpoints import PROFILE_CHANNEL, Endpoint
from audience.activation.ports import SegmentExport
from audience.core.objectstore.adapters.aws import S3ObjectStore

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
JOB = "0f3c3a5e7a574f3c9d396a3f7f9c1a01"  # Customer Profiles job ids: [a-f0-9]{32}


def _segment(channel: str) -> SegmentExport:
    return SegmentExport(
        name="genres-action-2026-11-22",
        query='ITEMS.genres = "Action"',
        users=["u1", "u2"],
        endpoints=[
            Endpoint("u1", channel, "ep-1" if channel == "EMAIL" else "u1"),
            Endpoint("u2", channel, "ep-2" if channel == "EMAIL" else "u2"),
        ],
        created_at=NOW,
        job="segments-run-1",
    )


@pytest.mark.usefixtures("aws")
def test_aws_pinpoint_destination_uploads_the_id_csv_and_creates_a_static_segment_import() -> None:
    # GIVEN the lake bucket (moto) and a stubbed Pinpoint expecting one import job
    client("s3").create_bucket(Bucket=LAKE_BUCKET)
    pinpoint = client("pinpoint")
    key = "activation/pinpoint/genres-action-2026-11-22.csv"
    with Stubber(pinpoint) as stub:
        stub.add_response(
            "create_import_job",
            {
                "ImportJobResponse": {
                    "Id": "imp-1",
                    "JobStatus": "CREATED",
                    "ApplicationId": "app-1",
                    "CreationDate": "2026-11-22T09:30:00Z",
                    "Definition": {
                        "S3Url": f"s3://{LAKE_BUCKET}/{key}",
                        "RoleArn": "arn:aws:iam::123456789012:role/r",
                        "Format": "CSV",
                    },
                    "Type": "IMPORT",
                }
            },
            {
                "ApplicationId": "app-1",
                "ImportJobRequest": {
                    "DefineSegment": True,
                    "Format": "CSV",
                    "RegisterEndpoints": False,
                    "RoleArn": "arn:aws:iam::123456789012:role/r",
                    "S3Url": f"s3://{LAKE_BUCKET}/{key}",
                    "SegmentName": "genres-action-2026-11-22",
                },
            },
        )
        destination = PinpointDestination(
            store=S3ObjectStore(LAKE_BUCKET),
            bucket=LAKE_BUCKET,
            prefix="activation/pinpoint/",
            application_id="app-1",
            role_arn="arn:aws:iam::123456789012:role/r",
            client=pinpoint,
        )
        # WHEN a segment is activated
        receipt = destination.activate(_segment("EMAIL"))
        stub.assert_no_pending_responses()
    # THEN the CSV is in S3 with the Id header, and the receipt names the import job
    body = client("s3").get_object(Bucket=LAKE_BUCKET, Key=key)["Body"].read().decode()
    assert body == "Id\nep-1\nep-2\n"
    assert (receipt.reference, receipt.size, receipt.api_calls) == ("imp-1", 2, 2)


def _connect_stub(stub: Stubber, statuses: list[str]) -> None:
    attribute = "segment_genres_action_2026_11_22"
    stub.add_response(
        "create_upload_job",
        {"JobId": JOB},
        {
            "DomainName": "audience",
            "DisplayName": "genres-action-2026-11-22",
            "Fields": {
                "profile_key": {
                    "Source": "_source.profile_key",
                    "Target": "_profile.AccountNumber",
                    "ContentType": "STRING",
                },
                attribute: {
                    "Source": f"_source.{attribute}",
                    "Target": f"_profile.Attributes.{attribute}",
                    "ContentType": "STRING",
                },
            },
            "UniqueKey": "profile_key",
            "DataExpiry": 90,
        },
    )
    token = base64.b64encode(b"k" * 32).decode()
    stub.add_response(
        "get_upload_job_path",
        {"Url": "https://upload.example/presigned", "ClientToken": token, "ValidUntil": NOW},
        {"DomainName": "audience", "JobId": JOB},
    )
    stub.add_response("start_upload_job", {}, {"DomainName": "audience", "JobId": JOB})
    stub.add_response(
        "create_segment_definition",
        {"SegmentDefinitionName": "genres-action-2026-11-22"},
        {
            "DomainName": "audience",
            "SegmentDefinitionName": "genres-action-2026-11-22",
            "DisplayName": "genres-action-2026-11-22",
            "Description": ANY,
            "SegmentGroups": {
                "Groups": [
                    {
                        "Dimensions": [
                            {
                                "ProfileAttributes": {
                                    "Attributes": {
                                        attribute: {"DimensionType": "INCLUSIVE", "Values": ["true"]}
                                    }
                                }
                            }
                        ],
                        "Type": "ALL",
                    }
                ],
                "Include": "ALL",
            },
        },
    )
    for status in statuses:
        stub.add_response(
            "get_upload_job",
            {
                "JobId": JOB,
                "Status": status,
                **({"StatusReason": "VALIDATION_FAILURE"} if status == "FAILED" else {}),
            },
            {"DomainName": "audience", "JobId": JOB},
        )


def test_aws_customer_profiles_destination_runs_the_segment_import_and_defines_the_segment() -> None:
    # GIVEN Customer Profiles answering an upload job that is in progress twice, then succeeds
    # (the segment definition is created right after the start: it fills as the upload lands)
    profiles = client("customer-profiles")
    uploads: list[tuple[str, bytes, Mapping[str, str]]] = []

    def upload(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        uploads.append((url, body, headers))
        return 200

    with Stubber(profiles) as stub:
        _connect_stub(stub, ["CREATED", "IN_PROGRESS", "SUCCEEDED"])
        sleeps: list[float] = []
        destination = CustomerProfilesDestination(
            domain_name="audience",
            data_expiry_days=90,
            client=profiles,
            uploader=upload,
            sleep=sleeps.append,
            poll_seconds=1,
        )
        # WHEN a segment is activated
        receipt = destination.activate(_segment(PROFILE_CHANNEL))
        stub.assert_no_pending_responses()
    # THEN the CSV went to the pre-signed URL with the SSE-C headers of the client token
    [(url, body, headers)] = uploads
    assert url == "https://upload.example/presigned"
    assert body.decode() == "profile_key,segment_genres_action_2026_11_22\nu1,true\nu2,true\n"
    assert headers["x-amz-server-side-encryption-customer-algorithm"] == "AES256"
    assert (
        headers["x-amz-server-side-encryption-customer-key-MD5"]
        == base64.b64encode(hashlib.md5(b"k" * 32).digest()).decode()
    )
    # AND polling backed off exponentially, and the receipt counts every call
    assert sleeps == [1, 2]
    assert (receipt.status, receipt.reference, receipt.api_calls) == ("SUCCEEDED", JOB, 8)


def test_aws_customer_profiles_destination_reports_a_failed_upload_job() -> None:
    # GIVEN an upload job that fails validation
    profiles = client("customer-profiles")
    with Stubber(profiles) as stub:
        _connect_stub(stub, ["FAILED"])
        destination = CustomerProfilesDestination(
            domain_name="audience",
            data_expiry_days=90,
            client=profiles,
            uploader=lambda *a: 200,
            sleep=lambda s: None,
        )
        # WHEN activated  THEN the failure and its reason surface
        with pytest.raises(RuntimeError, match="FAILED: VALIDATION_FAILURE"):
            destination.activate(_segment(PROFILE_CHANNEL))
        stub.assert_no_pending_responses()


def test_aws_customer_profiles_destination_refuses_an_out_of_range_expiry() -> None:
    # GIVEN / WHEN a data expiry beyond the API's 1..1098 days  THEN refused up front
    with pytest.raises(ValueError, match=r"1\.\.1098"):
        CustomerProfilesDestination(domain_name="audience", data_expiry_days=2000)
    assert sse_c_headers("not base64 !")["x-amz-server-side-encryption-customer-key"] == "not base64 !"


def test_aws_customer_profiles_destination_reports_an_upload_still_running_after_its_polls() -> None:
    # GIVEN an upload job that stays in progress, and a budget of two polls
    profiles = client("customer-profiles")
    sleeps: list[float] = []
    with Stubber(profiles) as stub:
        _connect_stub(stub, ["IN_PROGRESS", "IN_PROGRESS"])
        destination = CustomerProfilesDestination(
            domain_name="audience",
            data_expiry_days=90,
            client=profiles,
            uploader=lambda *a: 200,
            sleep=sleeps.append,
            poll_seconds=1,
            max_polls=2,
        )
        # WHEN activated
        receipt = destination.activate(_segment(PROFILE_CHANNEL))
        stub.assert_no_pending_responses()
    # THEN the segment is defined, the upload reported as still running, and no sleep follows the last poll
    assert receipt.status == "UPLOAD_IN_PROGRESS" and sleeps == [1]


def test_aws_customer_profiles_long_segment_name_gives_field_keys_within_the_apis_limit() -> None:
    # GIVEN the segment a valid multi-attribute query names (the name itself fits its own limit, 64)
    from datetime import date

    from botocore_limits import input_violations

    from audience.activation.segments import segment_name

    query = 'ITEMS.GENRES IN ("Documentary","Animation","Comedy") AND ITEMS.CONTENT_TYPE = "series"'
    name = segment_name(query, date(2026, 11, 30), set())
    segment = SegmentExport(
        name=name,
        query=query,
        users=["u1"],
        endpoints=[Endpoint("u1", PROFILE_CHANNEL, "u1")],
        created_at=NOW,
        job="segments-run-1",
    )
    profiles = client("customer-profiles")
    sent: list[tuple[str, dict[str, object]]] = []

    def record(params: dict[str, object], model: object, **_: object) -> None:
        sent.append((getattr(model, "name", ""), dict(params)))

    profiles.meta.events.register("before-parameter-build.customer-profiles", record)
    with Stubber(profiles) as stub:
        stub.add_response("create_upload_job", {"JobId": JOB})
        stub.add_response(
            "get_upload_job_path", {"Url": "https://upload.example/p", "ClientToken": "dG9rZW4="}
        )
        stub.add_response("start_upload_job", {})
        stub.add_response("create_segment_definition", {"SegmentDefinitionName": name})
        stub.add_response("get_upload_job", {"JobId": JOB, "Status": "SUCCEEDED"})
        destination = CustomerProfilesDestination(
            domain_name="audience", client=profiles, uploader=lambda *_: 200, sleep=lambda _: None
        )
        # WHEN it is activated
        destination.activate(segment)
    # THEN every request is within Customer Profiles' model: the membership attribute, a Fields key,
    # is at most 64 characters of [a-zA-Z0-9_.-] (segment_<name> would be 69)
    assert len(f"segment_{name}") > 64
    for operation, params in sent:
        assert input_violations("customer-profiles", operation, params) == [], operation
    fields = dict(sent)["CreateUploadJob"]["Fields"]
    assert isinstance(fields, dict) and all(len(key) <= 64 for key in fields)
