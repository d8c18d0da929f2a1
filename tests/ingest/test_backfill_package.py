"""The Glue backfill job's zip carries the API's validation function with everything it imports.

Glue gives the job only the zips of ``--extra-py-files`` and the modules of
``--additional-python-modules`` (``stacks/backfill.yaml``), so the check runs a fresh interpreter
with exactly those on its path: no checkout, no site-packages beyond what the job declares.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from packager_kit import packager

ROOT = Path(__file__).resolve().parents[2]


def _glue_modules(into: Path) -> Path:
    """A folder holding only what ``--additional-python-modules`` installs (and what those need)."""
    declared = re.search(
        r'"--additional-python-modules": "([^"]+)"', (ROOT / "stacks" / "backfill.yaml").read_text()
    )
    assert declared is not None
    names = {spec.split("==")[0] for spec in declared.group(1).split(",")}
    assert names == {"pydantic", "pycountry", "tenacity", "orjson"}, names
    # pydantic's own requirements, which pip installs with it on Glue
    packages = (
        "pydantic",
        "pydantic_core",
        "annotated_types",
        "typing_inspection",
        "pycountry",
        "tenacity",
        "orjson",
    )
    site = Path(importlib.util.find_spec("pydantic").origin).parents[1]  # type: ignore[arg-type,union-attr]
    into.mkdir()
    for name in packages:
        (into / name).symlink_to(site / name)
    (into / "typing_extensions.py").symlink_to(site / "typing_extensions.py")
    return into


def test_backfill_zip_imports_the_validation_function_alone(tmp_path: Path) -> None:
    # GIVEN the backfill job's zip, as Glue receives it, and only the modules the job declares
    (artefact,) = packager().select(["backfill_lib"])
    archive = artefact.build(tmp_path / "backfill_lib.zip")
    modules = _glue_modules(tmp_path / "glue-modules")
    # WHEN an isolated interpreter (no site, no checkout) imports what glue_jobs/backfill.py imports
    code = (
        "import sys; sys.path[:0] = sys.argv[1:3]; "
        "from audience.ingest.service import IngestLimits, RequestContext, validate_event; "
        "from schemas.engagement import LakeRecord; "
        "import audience; assert audience.__file__.startswith(sys.argv[1]), audience.__file__; "
        "print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(archive), str(modules)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN it imports from the zip alone
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
