"""Ship what the Explorer's segmentation Glue job needs besides its script.

    python scripts/package_explorer.py build                        # .aws-sam/glue/explorer_lib.zip
    tools/sam/.venv/bin/python scripts/package_explorer.py upload [--config-env prod]

``build`` zips the ``audience`` package the job imports (``--extra-py-files``), without the local
backend, the web UI, the CLI and the demo (the job needs the explorer domain, the ports and the S3
adapter). Reproducible: sorted entries, fixed timestamps. ``upload`` puts the zip at
``artifacts/glue/explorer_lib.zip`` and ``data/rich_audience_data.csv`` at
``reference/rich_audience_data.csv`` in the deployed stack's lake bucket (``users.csv`` is already
shipped by ``scripts/package_glue.py``). It reuses that script's stack and bucket lookup.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "audience"
LIB_ZIP = ROOT / ".aws-sam" / "glue" / "explorer_lib.zip"
LIB_KEY = "artifacts/glue/explorer_lib.zip"
PROFILES = ROOT / "data" / "rich_audience_data.csv"
PROFILES_KEY = "reference/rich_audience_data.csv"
_EXCLUDED = ("web", "features")
# The local stores the job never uses on Glue (it writes through the S3 object store).
_LOCAL_ONLY = (
    ("ingest", "adapters", "local"),
    ("core", "objectstore", "adapters", "local.py"),
    ("core", "sqlite.py"),
    ("insights", "adapters", "local", "duckdb_sql.py"),
    ("models", "adapters", "local", "predictor.py"),
)
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _package_glue() -> ModuleType:
    spec = importlib.util.spec_from_file_location("package_glue", ROOT / "scripts" / "package_glue.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entries(package: Path = PACKAGE) -> list[tuple[str, Path]]:
    out = []
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if not path.is_file() or path.suffix not in (".py", ".typed") or "__pycache__" in rel.parts:
            continue
        if rel.parts[0] in _EXCLUDED or any(rel.parts[: len(p)] == p for p in _LOCAL_ONLY):
            continue
        out.append((f"audience/{rel.as_posix()}", path))
    return out


def build(target: Path = LIB_ZIP) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in entries():
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    partial.replace(target)
    return target


def upload(config_env: str, region: str | None) -> None:
    import boto3  # noqa: TID251 - a deploy tool run with the SAM CLI's Python, not platform code

    glue = _package_glue()
    stack = glue.stack_name(config_env)
    session = boto3.session.Session(region_name=region or glue.deploy_setting(config_env, "region"))
    bucket = glue.lake_bucket(stack, session.client("cloudformation"))
    s3 = session.client("s3")
    for path, key in ((build(), LIB_KEY), (PROFILES, PROFILES_KEY)):
        s3.upload_file(str(path), bucket, key)
        print(f"package_explorer: {path} -> s3://{bucket}/{key}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build")
    up = commands.add_parser("upload")
    up.add_argument("--config-env", default="default")
    up.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if args.command == "build":
        print(f"package_explorer: built {build().relative_to(ROOT)}")
    else:
        upload(args.config_env, args.region)
    return 0


if __name__ == "__main__":
    sys.exit(main())
