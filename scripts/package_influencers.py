"""Ship what the influencer scoring Glue job needs besides its script.

    python scripts/package_influencers.py build                     # .aws-sam/glue/influencers_lib.zip
    tools/sam/.venv/bin/python scripts/package_influencers.py upload [--config-env prod]

``build`` zips the ``audience`` package without the web UI (the job imports the influencers slice and
its AWS adapters, the core AWS helper), the ``schemas`` contracts and ``glue_jobs.features_lib`` (the
Glue session helper). Reproducible: sorted entries, fixed timestamps. ``upload`` puts it at
``artifacts/glue/influencers_lib.zip`` (``--extra-py-files`` of InfluencerScoringJob) in the deployed
stack's lake bucket, with the explorer script's stack and bucket lookup.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
LIB_ZIP = ROOT / ".aws-sam" / "glue" / "influencers_lib.zip"
LIB_KEY = "artifacts/glue/influencers_lib.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)
_SOURCES = (
    (ROOT / "src" / "audience", "audience", ("web",)),
    (ROOT / "schemas", "schemas", ()),
    (ROOT / "glue_jobs" / "features_lib", "glue_jobs/features_lib", ()),
)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entries() -> list[tuple[str, Path]]:
    out = [("glue_jobs/__init__.py", ROOT / "glue_jobs" / "__init__.py")]
    for base, prefix, excluded in _SOURCES:
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if not path.is_file() or "__pycache__" in rel.parts or (rel.parts and rel.parts[0] in excluded):
                continue
            if path.suffix in (".py", ".typed", ".json", ".properties"):
                out.append((f"{prefix}/{rel.as_posix()}", path))
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

    glue = _load("package_glue")
    stack = glue.stack_name(config_env)
    session = boto3.session.Session(region_name=region or glue.deploy_setting(config_env, "region"))
    bucket = glue.lake_bucket(stack, session.client("cloudformation"))
    session.client("s3").upload_file(str(build()), bucket, LIB_KEY)
    print(f"package_influencers: {LIB_ZIP} -> s3://{bucket}/{LIB_KEY}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build")
    up = commands.add_parser("upload")
    up.add_argument("--config-env", default="default")
    up.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if args.command == "build":
        print(f"package_influencers: built {build().relative_to(ROOT)}")
    else:
        upload(args.config_env, args.region)
    return 0


if __name__ == "__main__":
    sys.exit(main())
