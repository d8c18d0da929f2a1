"""Ship what the feature-engineering Glue jobs need besides their scripts.

    python scripts/package_glue.py build                          # the features_lib zip, locally
    tools/sam/.venv/bin/python scripts/package_glue.py upload [--config-env prod]

`sam deploy` uploads each job's script itself (``Command.ScriptLocation`` is a local path in
template.yaml; SAM packages that property of ``AWS::Glue::Job``). It does not package the
``--extra-py-files`` argument nor data files, so this script:

* ``build`` zips the jobs' library into ``.aws-sam/glue/features_lib.zip``. The scripts import
  ``glue_jobs.features_lib``, so the zip holds ``glue_jobs/__init__.py`` and ``glue_jobs/features_lib/``
  (no caches, compiled files or tests) with the contract documents the library reads,
  ``schemas/generated/{feature_tables,glue_columns}.json``, copied to
  ``glue_jobs/features_lib/contract/``; fixed timestamps, so the same sources give the same bytes.
  Once ``glue_jobs/package.py`` exists (the jobs' own packager), ``build`` runs
  ``python -m glue_jobs.package --output <zip>`` instead. ``GLUE_LIB_ZIP=/path/to.zip`` ships a zip
  built elsewhere.
* ``upload`` builds the zip, then puts it and the reference CSVs into the deployed stack's lake bucket
  (its ``LakeBucketName`` output), at the keys the jobs' DefaultArguments name:
  ``artifacts/glue/features_lib.zip`` (``--extra-py-files``) and ``reference/content_catalog.csv``,
  ``reference/users.csv`` (``--reference_path``). The stack name comes from samconfig.toml.

``upload`` needs boto3 and AWS credentials: run it with the SAM CLI's Python (``make glue-upload``,
which ``make deploy`` runs after ``sam deploy``). ``build`` needs only the standard library.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JOBS_DIR = ROOT / "glue_jobs"
GENERATED = ROOT / "schemas" / "generated"
LIB_ZIP = ROOT / ".aws-sam" / "glue" / "features_lib.zip"
SAMCONFIG = ROOT / "samconfig.toml"

LIB_KEY = "artifacts/glue/features_lib.zip"
BACKFILL_KEY = "artifacts/glue/backfill_lib.zip"
"""The ``--extra-py-files`` object, relative to the lake bucket (tests/infra checks the template)."""

REFERENCE_PREFIX = "reference"
"""The ``--reference_path`` prefix in the lake bucket."""

REFERENCE_FILES = ("content_catalog.csv", "users.csv")
"""Reference tables the jobs read, shipped from the repository's data/ folder."""

CONTRACT_FILES = ("feature_tables.json", "glue_columns.json")
"""Read by glue_jobs.features_lib.contract from its ``contract/`` folder when running from the zip."""

_SKIP_DIRS = {"__pycache__", "tests", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """Something the build or the upload needs is missing; the message says what."""


def package_files(source: Path) -> list[Path]:
    """A package's files to ship, sorted: no caches, compiled files or tests."""
    if not (source / "__init__.py").is_file():
        raise PackageError(f"{source} is not a Python package (no __init__.py)")
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and not _SKIP_DIRS.intersection(path.relative_to(source).parts)
        and not path.name.endswith(_SKIP_SUFFIXES)
    )


def zip_entries(jobs_dir: Path = JOBS_DIR, generated: Path = GENERATED) -> list[tuple[str, Path]]:
    """(name in the zip, local file): ``glue_jobs/__init__.py``, the library, the contract copies."""
    library = jobs_dir / "features_lib"
    if not (jobs_dir / "__init__.py").is_file():
        raise PackageError(f"{jobs_dir} is not a Python package (no __init__.py)")
    entries = [(f"{jobs_dir.name}/__init__.py", jobs_dir / "__init__.py")]
    entries += [
        (f"{jobs_dir.name}/{path.relative_to(jobs_dir).as_posix()}", path) for path in package_files(library)
    ]
    for name in CONTRACT_FILES:
        if not (generated / name).is_file():
            raise PackageError(f"{generated / name} is missing (python -m schemas.derive writes it)")
        entries.append((f"{jobs_dir.name}/features_lib/contract/{name}", generated / name))
    return sorted(dict(entries).items())


def build_zip(target: Path = LIB_ZIP, jobs_dir: Path = JOBS_DIR, generated: Path = GENERATED) -> Path:
    """Zip the library into ``target``, byte for byte reproducibly."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in zip_entries(jobs_dir, generated):
            info = zipfile.ZipInfo(name, _ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    partial.replace(target)
    return target


def build_library(target: Path = LIB_ZIP) -> Path:
    """The jobs' own packager (glue_jobs/package.py) when there is one, else :func:`build_zip`."""
    if not (JOBS_DIR / "package.py").is_file():
        return build_zip(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "glue_jobs.package", "--output", str(target)]
    proc = subprocess.run(command, cwd=ROOT, check=False)
    if proc.returncode != 0 or not target.is_file():
        raise PackageError(f"{' '.join(command[1:])} failed (exit {proc.returncode})")
    return target


def deploy_setting(config_env: str, name: str, samconfig: Path = SAMCONFIG) -> str | None:
    """A ``sam deploy`` setting of one samconfig.toml environment (deploy's own, else global)."""
    config: dict[str, Any] = tomllib.loads(samconfig.read_text())
    if config_env not in config:
        raise PackageError(f"samconfig.toml has no environment {config_env!r}")
    for command in ("deploy", "global"):
        value = config[config_env].get(command, {}).get("parameters", {}).get(name)
        if value:
            return str(value)
    return None


def stack_name(config_env: str, samconfig: Path = SAMCONFIG) -> str:
    """The stack ``sam deploy --config-env <config_env>`` deploys."""
    name = deploy_setting(config_env, "stack_name", samconfig)
    if name is None:
        raise PackageError(f"samconfig.toml names no stack_name for {config_env!r}")
    return name


def lake_bucket(stack: str, cloudformation: Any) -> str:
    """The deployed stack's ``LakeBucketName`` output."""
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if "LakeBucketName" not in outputs:
        raise PackageError(f"stack {stack} has no LakeBucketName output: deploy it first (make deploy)")
    return str(outputs["LakeBucketName"])


def uploads(library: Path, data: Path = ROOT / "data") -> list[tuple[Path, str]]:
    """(local file, key in the lake bucket) for everything the jobs read besides their scripts."""
    pairs = [(library, LIB_KEY)]
    pairs += [(data / name, f"{REFERENCE_PREFIX}/{name}") for name in REFERENCE_FILES]
    missing = [str(path) for path, _ in pairs if not path.is_file()]
    if missing:
        raise PackageError(f"missing: {', '.join(missing)}")
    return pairs


def upload(config_env: str, region: str | None) -> None:
    import boto3  # noqa: TID251 - a deploy tool run with the SAM CLI's Python, not platform code
    from boto3.exceptions import Boto3Error  # noqa: TID251 - S3UploadFailedError is one
    from botocore.exceptions import BotoCoreError, ClientError

    prebuilt = os.environ.get("GLUE_LIB_ZIP")
    library = Path(prebuilt).resolve() if prebuilt else build_library()
    pairs = uploads(library)
    # The backfill job's contract and validation (stacks/backfill.yaml's second --extra-py-files zip).
    backfill_zip = LIB_ZIP.with_name("backfill_lib.zip")
    subprocess.run(
        [sys.executable, "-m", "glue_jobs.package", "--backfill", "--output", str(backfill_zip)],
        cwd=ROOT,
        check=True,
    )
    pairs.append((backfill_zip, BACKFILL_KEY))
    stack = stack_name(config_env)
    try:
        session = boto3.session.Session(region_name=region or deploy_setting(config_env, "region"))
        bucket = lake_bucket(stack, session.client("cloudformation"))
        s3 = session.client("s3")
        for path, key in pairs:
            s3.upload_file(str(path), bucket, key)
            print(f"package_glue: {path} -> s3://{bucket}/{key}")
    except (BotoCoreError, Boto3Error, ClientError) as error:
        raise PackageError(f"upload for stack {stack} failed: {error}") from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help=f"zip the jobs' library into {LIB_ZIP.relative_to(ROOT)}")
    up = commands.add_parser("upload", help="build, then upload the zip and the reference CSVs")
    up.add_argument("--config-env", default="default", help="samconfig.toml environment (default, prod)")
    up.add_argument(
        "--region", default=None, help="AWS region (default: samconfig.toml's, else the profile's)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(f"package_glue: built {build_library().relative_to(ROOT)}")
        else:
            upload(args.config_env, args.region)
    except PackageError as error:
        print(f"package_glue: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
