"""Build the zip the Glue jobs get as ``--extra-py-files``: ``python -m glue_jobs.package OUT.zip``
(or ``--output OUT.zip``, as ``scripts/package_glue.py build`` calls it).

It holds the ``glue_jobs`` package with ``features_lib`` and, under ``glue_jobs/features_lib/contract/``,
the generated ``feature_tables.json`` and ``glue_columns.json`` (the columns the jobs must write and
the lake's columns), so the jobs need nothing else from the repository on Glue. The job scripts
themselves are uploaded separately as each job's ``ScriptLocation``.

The archive is reproducible: sorted entries with a fixed timestamp, so the same sources give the same
bytes (and the same S3 object hash).
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
GENERATED = ROOT.parent / "schemas" / "generated"
CONTRACT_FILES = ("feature_tables.json", "glue_columns.json")
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _entries() -> list[tuple[str, bytes]]:
    entries = [("glue_jobs/__init__.py", (ROOT / "__init__.py").read_bytes())]
    for path in sorted((ROOT / "features_lib").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".properties") and "__pycache__" not in path.parts:
            entries.append((f"glue_jobs/{path.relative_to(ROOT).as_posix()}", path.read_bytes()))
    for name in CONTRACT_FILES:
        entries.append((f"glue_jobs/features_lib/contract/{name}", (GENERATED / name).read_bytes()))
    return entries


BACKFILL_SOURCES = (
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
    "src/audience/ingest/service.py",
)
"""What the backfill job imports besides features_lib: the contract and the API's validation function
(pure Python over pydantic, which Glue installs from ``--additional-python-modules``)."""


def backfill_entries() -> list[tuple[str, bytes]]:
    repo = ROOT.parent
    return [(source.removeprefix("src/"), (repo / source).read_bytes()) for source in BACKFILL_SOURCES]


def build(out: Path, entries: list[tuple[str, bytes]] | None = None) -> Path:
    """Write the zip to ``out`` (parents created) and return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in _entries() if entries is None else entries:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Zip glue_jobs.features_lib for Glue's --extra-py-files.")
    parser.add_argument("out", nargs="?", type=Path, help="the zip to write")
    parser.add_argument("--output", type=Path, help="the same, as an option")
    parser.add_argument(
        "--backfill",
        action="store_true",
        help="build the backfill job's backfill_lib.zip (contract + validation)",
    )
    args = parser.parse_args(argv)
    out = args.output or args.out
    if out is None:
        parser.error("name the zip to write: python -m glue_jobs.package OUT.zip")
    path = build(out, backfill_entries() if args.backfill else None)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
