"""Small generated audiences and prepared lakes for the Explorer's tests (fast: ~1,500 users)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from audience.core.objectstore.adapters.local import FolderObjectStore
from audience.datagen import GeneratorConfig
from audience.datagen.users import users
from audience.explorer.frame import AudienceFrame, from_profiles
from audience.explorer.job import JobConfig, JobReport, run
from audience.explorer.profiles import RICH_FILE, RichProfile, generate_rows, write_rich_csv

AS_OF = date(2026, 11, 20)
SMALL = 1_500


def small_config(n_users: int = SMALL) -> GeneratorConfig:
    return GeneratorConfig(seed=7, n_users=n_users)


def small_frame(n_users: int = SMALL) -> AudienceFrame:
    config = small_config(n_users)
    profiles = [RichProfile.model_validate(row) for row in generate_rows(config)]
    planted = {u.user_id: u.segment for u in users(config)}
    return from_profiles(profiles, AS_OF, planted)


def prepare_home(home: Path, n_users: int = SMALL, k: int | None = 6) -> JobReport:
    """``home`` with data files and a segmentation run in ``home/lake`` (as ``make demo`` leaves it)."""
    config = small_config(n_users)
    data = home / "data"
    write_rich_csv(config, data / RICH_FILE)
    users_csv = data / "users.csv"
    from audience.datagen.writers import write_users_csv

    write_users_csv(users(config), users_csv)
    job = JobConfig(profiles_csv=data / RICH_FILE, users_csv=users_csv, as_of=AS_OF, k=k, min_users=20)
    return run(job, FolderObjectStore(home / "lake"))
