"""The jobs' argument contract, their window, the contract copies they read, and the Glue zip.
No Spark session: these run in milliseconds."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from packager_kit import packager

from glue_jobs.features_lib import contract, transforms
from glue_jobs.features_lib.params import COMMON, WEIGHTS, JobParams, Window, parse_job_args
from schemas import features as feature_models
from schemas.derive import documents
from schemas.engagement import DeviceType, EventType

ROOT = Path(__file__).resolve().parents[2]

ARGS = (*COMMON, *WEIGHTS, "churn_horizon_days", "trend_recent_days")
TODAY = date(2026, 11, 21)
BASE = ["job.py", "--lake_path", "s3://lake-bucket", "--reference_path", "s3://lake-bucket/reference"]


def test_glue_params_defaults_and_yesterday() -> None:
    # GIVEN only the required arguments
    # WHEN parsing on 2026-11-21 (UTC)
    parsed = parse_job_args(ARGS, BASE, TODAY)

    # THEN as_of is yesterday and the documented defaults apply
    assert parsed == JobParams("s3://lake-bucket", "s3://lake-bucket/reference", date(2026, 11, 20))
    assert (parsed.lookback_days, parsed.max_event_age_days, parsed.weights) == (28, 7, (2.0, 3.0, 5.0))
    assert (parsed.churn_horizon_days, parsed.trend_recent_days) == (30, 7)


def test_glue_params_read_glue_style_arguments_and_ignore_glues_own() -> None:
    # GIVEN every argument, as strings, among the ones Glue adds itself
    argv = [
        *BASE,
        *("--JOB_NAME", "audience-dev-user-features", "--TempDir", "s3://lake-bucket/glue-temp/"),
        *("--as_of", "2026-11-02", "--lookback_days", "14", "--max_event_age_days", "3"),
        *("--like_weight", "1.5", "--share_weight", "0", "--complete_weight", "4"),
        *(
            "--churn_horizon_days",
            "10",
            "--trend_recent_days",
            "5",
            "--job-bookmark-option",
            "job-bookmark-disable",
        ),
    ]

    # WHEN parsing
    parsed = parse_job_args(ARGS, argv, TODAY)

    # THEN each is typed
    assert parsed == JobParams(
        "s3://lake-bucket", "s3://lake-bucket/reference", date(2026, 11, 2), 14, 3, 1.5, 0.0, 4.0, 10, 5
    )
    assert parsed.table_path("user_features") == "s3://lake-bucket/features/user_features/as_of=2026-11-02"


@pytest.fixture
def glue_resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """A stand-in for awsglue.utils.getResolvedOptions that, like Glue's, fails on any listed
    option missing from argv; records the option lists it was asked for."""
    asked: list[list[str]] = []

    def get_resolved_options(argv: list[str], options: list[str]) -> dict[str, str]:
        asked.append(options)
        missing = [o for o in options if f"--{o}" not in argv]
        if missing:
            raise SystemExit(f"the following arguments are required: {missing}")
        return {o: argv[argv.index(f"--{o}") + 1] for o in options}

    module = types.ModuleType("awsglue.utils")
    module.getResolvedOptions = get_resolved_options  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "awsglue", types.ModuleType("awsglue"))
    monkeypatch.setitem(sys.modules, "awsglue.utils", module)
    yield asked


def test_glue_params_on_glue_ask_getresolvedoptions_only_for_given_optional_arguments(
    glue_resolver: list[list[str]],
) -> None:
    # GIVEN Glue's resolver and a run that sets as_of but leaves the other optional arguments out
    argv = [*BASE, "--JOB_NAME", "job", "--as_of", "2026-11-02"]

    # WHEN parsing
    parsed = parse_job_args(ARGS, argv, TODAY)

    # THEN only present options were requested (Glue's resolver fails on absent ones)
    assert glue_resolver == [["lake_path", "reference_path", "as_of", "JOB_NAME"]]
    assert (parsed.as_of, parsed.lookback_days) == (date(2026, 11, 2), 28)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--as_of", "2026-13-01"], "--as_of must be YYYY-MM-DD or 'yesterday'"),
        (["--lookback_days", "four"], "--lookback_days: cannot read 'four' as int"),
        (
            ["--trend_recent_days", "28"],
            "--trend_recent_days must be at least 1 and less than --lookback_days",
        ),
        (["--like_weight", "-1"], "the weights must not be negative"),
    ],
)
def test_glue_params_reject_bad_values(extra: list[str], message: str) -> None:
    # GIVEN a bad value
    # WHEN parsing
    # THEN the error names the argument
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        parse_job_args(ARGS, [*BASE, *extra], TODAY)


def test_glue_params_require_the_lake_and_reference_paths() -> None:
    with pytest.raises(SystemExit):  # argparse's error exit, as on Glue
        parse_job_args(ARGS, ["job.py", "--as_of", "2026-11-02"], TODAY)


def test_glue_window_and_the_arrival_partitions_it_reads() -> None:
    # GIVEN as_of 2026-11-20, a 28-day lookback and a 7-day event age limit
    window = Window(date(2026, 11, 20), lookback_days=28, max_event_age_days=7)

    # WHEN listing the arrival days
    arrivals = window.arrival_days()

    # THEN the window is [2026-10-24, 2026-11-21) and arrivals run from the day before it to as_of + 7 + 1
    assert (window.start.isoformat(), window.end.isoformat()) == (
        "2026-10-24T00:00:00+00:00",
        "2026-11-21T00:00:00+00:00",
    )
    assert (arrivals[0], arrivals[-1], len(arrivals)) == (date(2026, 10, 23), date(2026, 11, 28), 37)
    assert window.arrival_days(after_end_days=30)[-1] == date(2026, 12, 28)


def test_glue_library_constants_match_the_contract() -> None:
    # GIVEN the library's copies of the contract's value sets (it cannot import schemas on Glue)
    # THEN they agree with the models
    assert {kind for kind, _ in transforms.EVENT_TYPES} == {e.value for e in EventType}
    assert transforms.DEVICE_TYPES == feature_models.DEVICE_TYPES == tuple(d.value for d in DeviceType)
    assert transforms.HOUR_BUCKETS == feature_models.HOUR_BUCKETS
    assert transforms.CONTENT_TYPES == feature_models.CONTENT_TYPES


def test_glue_contract_read_by_the_library_is_the_derived_document() -> None:
    # GIVEN the committed feature_tables.json the library reads
    # WHEN comparing it with what schemas/features.py derives now
    derived = documents()["feature_tables.json"]

    # THEN the library sees exactly the models' columns
    for name, entry in derived.items():
        assert contract.table(name).columns == tuple((c["Name"], c["Type"]) for c in entry["columns"])
        assert contract.table(name).required == frozenset(entry["required"])


def test_glue_package_zip_imports_the_library_and_its_contract_alone(tmp_path: Path) -> None:
    # GIVEN the zip built twice
    (features_lib,) = packager().select(["features_lib"])
    first = features_lib.build(tmp_path / "a" / "features_lib.zip")
    second = features_lib.build(tmp_path / "b" / "features_lib.zip")

    # WHEN a fresh interpreter imports the library from it, as Glue's --extra-py-files does
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "from glue_jobs.features_lib import contract, transforms, quality, io, params;"
        "print(json.dumps([contract.__file__, contract.table('user_features').names[:2]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(first)], capture_output=True, text=True, check=True, cwd=tmp_path
    )

    # THEN the modules and the contract come from the zip, and builds are byte-identical
    where, columns = json.loads(out.stdout)
    assert where.startswith(str(first))
    assert columns == ["user_id", "country"]
    assert first.read_bytes() == second.read_bytes()
