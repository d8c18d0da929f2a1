from __future__ import annotations

import csv
from pathlib import Path

import pytest

from audience.datagen import GeneratorConfig
from audience.datagen.users import users
from audience.explorer.profiles import COLUMNS, RICH_FILE, ProfileFileError, load_rich_csv, write_rich_csv

ROOT = Path(__file__).parents[2]


def _write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _rows(tmp_path: Path, n: int = 5) -> list[dict[str, str]]:
    path = tmp_path / "gen.csv"
    write_rich_csv(GeneratorConfig(n_users=n), path)
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_profiles_committed_file_is_what_the_generator_writes(tmp_path: Path) -> None:
    # GIVEN the generator's defaults (those of `make data`)
    # WHEN it writes the file again
    write_rich_csv(GeneratorConfig(), tmp_path / RICH_FILE)
    # THEN the bytes equal the committed data/rich_audience_data.csv
    assert (tmp_path / RICH_FILE).read_bytes() == (ROOT / "data" / RICH_FILE).read_bytes()


def test_profiles_share_ids_and_ages_with_the_event_generator(tmp_path: Path) -> None:
    # GIVEN the generated users and their rich profiles
    config = GeneratorConfig(n_users=300)
    write_rich_csv(config, tmp_path / RICH_FILE)
    # WHEN the file is loaded
    profiles = load_rich_csv(tmp_path / RICH_FILE)
    # THEN every user is there with the same id, age group and sign-up date
    people = users(config)
    assert [p.user_id for p in profiles] == [u.user_id for u in people]
    assert all(p.age_group == u.age_group for p, u in zip(profiles, people, strict=True))
    assert all(p.customer_since_date == u.signup_date for p, u in zip(profiles, people, strict=True))


def test_profiles_loader_names_row_and_column_of_bad_values(tmp_path: Path) -> None:
    # GIVEN a file whose 2nd row has a negative spend and whose 4th has an unknown traveler type
    rows = _rows(tmp_path)
    rows[1]["avg_monthly_spend"] = "-5"
    rows[3]["traveler_type"] = "astronaut"
    path = _write(tmp_path / "bad.csv", rows)
    # WHEN it is loaded
    with pytest.raises(ProfileFileError) as caught:
        load_rich_csv(path)
    # THEN the error names both rows and columns
    assert [(row, column) for row, column, _ in caught.value.problems] == [
        (2, "avg_monthly_spend"),
        (4, "traveler_type"),
    ]
    assert "row 2, column avg_monthly_spend" in str(caught.value)
    assert "'astronaut'" in str(caught.value)


def test_profiles_loader_rejects_missing_columns_and_duplicate_ids(tmp_path: Path) -> None:
    # GIVEN a file without the household_size column, and one with a repeated user id
    rows = _rows(tmp_path)
    no_household = tuple(c for c in COLUMNS if c != "household_size")
    short = _write(tmp_path / "short.csv", [{k: r[k] for k in no_household} for r in rows], no_household)
    rows[2]["user_id"] = rows[0]["user_id"]
    dup = _write(tmp_path / "dup.csv", rows)
    # WHEN they are loaded
    # THEN each error names the problem
    with pytest.raises(ProfileFileError, match="column household_size: missing column"):
        load_rich_csv(short)
    with pytest.raises(ProfileFileError, match="row 3, column user_id: duplicate user_id"):
        load_rich_csv(dup)
