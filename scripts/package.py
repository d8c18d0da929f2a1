"""Ship what the Glue jobs need besides their scripts: one packager, one table of artefacts.

    python3 scripts/package.py list                                   # the artefacts and their keys
    python3 scripts/package.py build [ARTEFACT ...]                    # .aws-sam/glue/<artefact>.zip
    tools/sam/.venv/bin/python scripts/package.py upload [ARTEFACT ...] [--config-env prod]

`sam deploy` uploads each job's script itself (``Command.ScriptLocation`` is a local path in the
stacks; SAM packages that property of ``AWS::Glue::Job``). It packages neither the
``--extra-py-files`` zips nor the data files the jobs read, so this script does, into the deployed
stack's lake bucket (its ``LakeBucketName`` output; the stack name comes from samconfig.toml):

* ``features_lib``: ``glue_jobs/__init__.py`` and ``glue_jobs/features_lib`` (its ``.py`` and
  ``.properties`` files) with the contract documents the library reads,
  ``schemas/generated/{feature_tables,glue_columns}.json``, copied to
  ``glue_jobs/features_lib/contract/``; uploaded with ``data/{content_catalog,users}.csv`` under
  ``reference/`` (the feature jobs' ``--reference_path``). ``GLUE_LIB_ZIP=/path/to.zip`` ships a zip
  built elsewhere instead.
* ``backfill_lib``: the event contract and the API's validation function (pure Python over pydantic,
  which Glue installs from ``--additional-python-modules``) for the backfill job.
* ``explorer_lib``: the ``audience`` package without the web UI, the features slice and the local
  stores (the segmentation job writes through the S3 object store); uploaded with
  ``data/rich_audience_data.csv``.
* ``influencers_lib``: the ``audience`` package without the web UI, the ``schemas`` contracts and
  ``glue_jobs.features_lib`` (the Glue session helper).

Every zip is reproducible: a fixed order, fixed timestamps and modes, so the same sources give the
same bytes (and the same S3 object hash). ``build`` needs only the standard library; ``upload``
needs boto3 and AWS credentials: run it with the SAM CLI's Python (``make glue-upload``, which
``make deploy`` runs after ``sam deploy``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / ".aws-sam" / "glue"
SAMCONFIG = ROOT / "samconfig.toml"
_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """Something the build or the upload needs is missing; the message says what."""


@dataclass(frozen=True)
class Tree:
    """The files of a folder, in ``sorted(rglob)`` order, named ``prefix/<relative path>`` in the zip."""

    base: str
    prefix: str
    suffixes: tuple[str, ...]
    excluded: tuple[tuple[str, ...], ...] = ()
    """Relative path prefixes (as parts) left out: local-only modules, the web UI."""

    def entries(self, root: Path) -> Iterator[tuple[str, Path]]:
        base = root / self.base
        if not (base / "__init__.py").is_file():
            raise PackageError(f"{base} is not a Python package (no __init__.py)")
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if not path.is_file() or path.suffix not in self.suffixes or "__pycache__" in rel.parts:
                continue
            if any(rel.parts[: len(prefix)] == prefix for prefix in self.excluded):
                continue
            yield f"{self.prefix}/{rel.as_posix()}", path


@dataclass(frozen=True)
class File:
    """One file, under its own name in the zip."""

    path: str
    name: str

    def entries(self, root: Path) -> Iterator[tuple[str, Path]]:
        if not (root / self.path).is_file():
            hint = " (python -m schemas.derive writes it)" if "generated" in self.path else ""
            raise PackageError(f"{root / self.path} is missing{hint}")
        yield self.name, root / self.path


def _files(*paths: str, strip: str = "") -> tuple[File, ...]:
    return tuple(File(path, path.removeprefix(strip)) for path in paths)


@dataclass(frozen=True)
class Artefact:
    """A zip for a Glue job's ``--extra-py-files``, the S3 key it lands at, and its companion files."""

    name: str
    contents: tuple[Tree | File, ...]
    data: tuple[str, ...] = ()
    """Repository files uploaded beside the zip, at ``reference/<file name>``."""
    prebuilt_env: str | None = None
    """An environment variable naming a zip built elsewhere, shipped instead of building one."""
    doc: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"artifacts/glue/{self.name}.zip"

    @property
    def default_target(self) -> Path:
        return OUT_DIR / f"{self.name}.zip"

    def entries(self, root: Path = ROOT) -> list[tuple[str, Path]]:
        """(name in the zip, local file), in the zip's order."""
        return [entry for part in self.contents for entry in part.entries(root)]

    def build(self, target: Path | None = None, root: Path = ROOT) -> Path:
        """Write the zip (atomically: a partial file renamed) and return its path."""
        target = target or self.default_target
        entries = self.entries(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, path in entries:
                info = zipfile.ZipInfo(name, _EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes())
        partial.replace(target)
        return target

    def uploads(self, library: Path, root: Path = ROOT) -> list[tuple[Path, str]]:
        """(local file, key in the lake bucket) for the zip and its data files."""
        pairs = [(library, self.key)]
        pairs += [(root / path, f"{REFERENCE_PREFIX}/{Path(path).name}") for path in self.data]
        missing = [str(path) for path, _ in pairs if not path.is_file()]
        if missing:
            raise PackageError(f"missing: {', '.join(missing)}")
        return pairs


REFERENCE_PREFIX = "reference"
"""The ``--reference_path`` prefix in the lake bucket."""

CONTRACT_FILES = ("feature_tables.json", "glue_columns.json")
"""Read by glue_jobs.features_lib.contract from its ``contract/`` folder when running from the zip."""

_AUDIENCE_LOCAL_ONLY = (
    ("web",),
    ("features",),
    ("ingest", "adapters", "local"),
    ("core", "objectstore", "adapters", "local.py"),
    ("core", "sqlite.py"),
    ("insights", "adapters", "local", "duckdb_sql.py"),
    ("models", "adapters", "local", "predictor.py"),
)

ARTEFACTS: dict[str, Artefact] = {
    artefact.name: artefact
    for artefact in (
        Artefact(
            "features_lib",
            (
                File("glue_jobs/__init__.py", "glue_jobs/__init__.py"),
                Tree("glue_jobs/features_lib", "glue_jobs/features_lib", (".py", ".properties")),
                *(
                    File(f"schemas/generated/{name}", f"glue_jobs/features_lib/contract/{name}")
                    for name in CONTRACT_FILES
                ),
            ),
            data=("data/content_catalog.csv", "data/users.csv"),
            prebuilt_env="GLUE_LIB_ZIP",
            doc="the feature jobs' library and contract",
        ),
        Artefact(
            "backfill_lib",
            _files(
                "schemas/__init__.py",
                "schemas/engagement.py",
                "src/audience/__init__.py",
                "src/audience/core/__init__.py",
                "src/audience/core/objectstore/__init__.py",
                "src/audience/core/objectstore/ports.py",
                "src/audience/ingest/__init__.py",
                "src/audience/ingest/counters.py",
                "src/audience/ingest/delivery.py",
                "src/audience/ingest/ports.py",
                "src/audience/ingest/records.py",
                "src/audience/ingest/requests.py",
                "src/audience/ingest/service.py",
                "src/audience/ingest/validation.py",
                strip="src/",
            ),
            doc="the backfill job's contract and validation",
        ),
        Artefact(
            "explorer_lib",
            (Tree("src/audience", "audience", (".py", ".typed"), _AUDIENCE_LOCAL_ONLY),),
            data=("data/rich_audience_data.csv",),
            doc="the segmentation job's audience package, without local stores",
        ),
        Artefact(
            "influencers_lib",
            (
                File("glue_jobs/__init__.py", "glue_jobs/__init__.py"),
                *(
                    Tree(base, prefix, (".py", ".typed", ".json", ".properties"), excluded)
                    for base, prefix, excluded in (
                        ("src/audience", "audience", (("web",),)),
                        ("schemas", "schemas", ()),
                        ("glue_jobs/features_lib", "glue_jobs/features_lib", ()),
                    )
                ),
            ),
            doc="the scoring job's audience package, contracts and Glue session helper",
        ),
    )
}


def select(names: Iterable[str]) -> list[Artefact]:
    """The named artefacts (all of them when none is named), refusing unknown names."""
    names = list(names) or list(ARTEFACTS)
    unknown = [name for name in names if name not in ARTEFACTS]
    if unknown:
        raise PackageError(f"unknown artefact(s) {', '.join(unknown)}; known: {', '.join(ARTEFACTS)}")
    return [ARTEFACTS[name] for name in names]


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


def upload(artefacts: list[Artefact], config_env: str, region: str | None) -> None:
    import boto3  # noqa: TID251 - a deploy tool run with the SAM CLI's Python, not platform code
    from boto3.exceptions import Boto3Error  # noqa: TID251 - S3UploadFailedError is one
    from botocore.exceptions import BotoCoreError, ClientError

    pairs: list[tuple[Path, str]] = []
    for artefact in artefacts:
        prebuilt = os.environ.get(artefact.prebuilt_env) if artefact.prebuilt_env else None
        library = Path(prebuilt).resolve() if prebuilt else artefact.build()
        pairs += artefact.uploads(library)
    stack = stack_name(config_env)
    try:
        session = boto3.session.Session(region_name=region or deploy_setting(config_env, "region"))
        bucket = lake_bucket(stack, session.client("cloudformation"))
        s3 = session.client("s3")
        for path, key in pairs:
            s3.upload_file(str(path), bucket, key)
            print(f"package: {path} -> s3://{bucket}/{key}")
    except (BotoCoreError, Boto3Error, ClientError) as error:
        raise PackageError(f"upload for stack {stack} failed: {error}") from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the artefacts, their keys and their companion files")
    build = commands.add_parser("build", help="zip the named artefacts (all by default) into .aws-sam/glue/")
    build.add_argument("artefacts", nargs="*", metavar="ARTEFACT", help=", ".join(ARTEFACTS))
    up = commands.add_parser("upload", help="build, then upload the zips and their data files")
    up.add_argument("artefacts", nargs="*", metavar="ARTEFACT", help=", ".join(ARTEFACTS))
    up.add_argument("--config-env", default="default", help="samconfig.toml environment (default, prod)")
    up.add_argument(
        "--region", default=None, help="AWS region (default: samconfig.toml's, else the profile's)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            for artefact in ARTEFACTS.values():
                extra = f" + {', '.join(artefact.data)}" if artefact.data else ""
                print(f"{artefact.name:16} s3://<lake>/{artefact.key}{extra}  ({artefact.doc})")
        elif args.command == "build":
            for artefact in select(args.artefacts):
                print(f"package: built {artefact.build().relative_to(ROOT)}")
        else:
            upload(select(args.artefacts), args.config_env, args.region)
    except PackageError as error:
        print(f"package: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
