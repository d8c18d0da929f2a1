"""scripts/package.py, the one packager of the Glue jobs' ``--extra-py-files`` zips.

It replaced three scripts (``scripts/package_{glue,explorer,influencers}.py``) and the backfill half
of ``glue_jobs/package.py``. The equivalence tests run those retired packagers, read from the commit
before they were removed, against today's tree and require the same zips: the same names in the
same order with the same bytes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from packager_kit import packager

ROOT = Path(__file__).resolve().parents[2]
RETIRED_AT = "a75698c915441ed870975c87dd62c3bf090e86cc"
"""The last commit holding scripts/package_{glue,explorer,influencers}.py."""


def retired(name: str, folder: str = "scripts") -> ModuleType:
    """A retired ``<folder>/<name>.py`` from git history, executed as if it still stood there."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the retired packagers are read from the history")
    shown = subprocess.run(
        ["git", "show", f"{RETIRED_AT}:{folder}/{name}.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if shown.returncode != 0:
        pytest.skip(f"commit {RETIRED_AT[:10]} is not in this clone (shallow?): {shown.stderr.strip()}")
    module = ModuleType(f"retired_{folder}_{name}")
    module.__file__ = str(ROOT / folder / f"{name}.py")
    sys.modules[module.__name__] = module
    exec(compile(shown.stdout, module.__file__, "exec"), module.__dict__)  # our own history
    return module


def names_and_bytes(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


@pytest.mark.parametrize(
    ("artefact", "old_script"),
    [("explorer_lib", "package_explorer"), ("influencers_lib", "package_influencers")],
)
def test_packager_builds_the_same_zip_as_the_retired_script(
    tmp_path: Path, artefact: str, old_script: str
) -> None:
    # GIVEN the retired packager of this artefact and the new table's entry
    old = retired(old_script)
    new = packager().ARTEFACTS[artefact]
    # WHEN both build the zip from today's tree
    before = old.build(tmp_path / "old.zip")
    after = new.build(tmp_path / "new.zip")
    # THEN the two zips are the same to the byte (names, order, contents, timestamps)
    assert names_and_bytes(after) == names_and_bytes(before)
    assert after.read_bytes() == before.read_bytes()
    # AND the S3 key is the one the retired script uploaded to
    assert new.key == old.LIB_KEY


def test_packager_builds_the_same_features_zip_as_before(tmp_path: Path) -> None:
    # GIVEN the retired features packagers: scripts/package_glue.py and the glue_jobs/package.py it ran
    old = retired("package_glue")
    old_library = retired("package", folder="glue_jobs")
    artefacts = packager().ARTEFACTS
    # WHEN they and the new packager build the features library from today's tree
    before = old_library.build(tmp_path / "old" / "features_lib.zip")
    after = artefacts["features_lib"].build(tmp_path / "new" / "features_lib.zip")
    # THEN the zips are the same to the byte (names, order, contents, timestamps)
    assert names_and_bytes(after) == names_and_bytes(before)
    assert after.read_bytes() == before.read_bytes()
    # AND the keys and the reference files are those it uploaded
    assert artefacts["features_lib"].key == old.LIB_KEY
    assert artefacts["backfill_lib"].key == old.BACKFILL_KEY
    assert {key for _, key in artefacts["features_lib"].uploads(after)} == {
        key for _, key in old.uploads(before)
    }


def test_packager_zips_reproducibly_and_leaves_caches_out(tmp_path: Path) -> None:
    # GIVEN a tree whose jobs library has byte-code caches, compiled files and other files
    module = packager()
    library = tmp_path / "glue_jobs" / "features_lib"
    (library / "sub" / "__pycache__").mkdir(parents=True)
    (tmp_path / "schemas" / "generated").mkdir(parents=True)
    (tmp_path / "glue_jobs" / "__init__.py").write_text("")
    (tmp_path / "glue_jobs" / "a_job.py").write_text("")
    (library / "__init__.py").write_text('"""lib"""\n')
    (library / "log4j2.properties").write_text("x=1\n")
    (library / "sub" / "__init__.py").write_text("")
    (library / "sub" / "core.py").write_text("X = 1\n")
    (library / "sub" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\0")
    (library / "stale.pyc").write_bytes(b"\0")
    (library / "notes.md").write_text("")
    for name in module.CONTRACT_FILES:
        (tmp_path / "schemas" / "generated" / name).write_text("{}")
    artefact = module.ARTEFACTS["features_lib"]
    # WHEN it is zipped twice, the second time after a file's times changed
    first = artefact.build(tmp_path / "a.zip", root=tmp_path).read_bytes()
    (library / "sub" / "core.py").touch()
    second = artefact.build(tmp_path / "b.zip", root=tmp_path).read_bytes()
    # THEN both zips are identical and hold the package, the library's sources and the contract
    assert first == second
    assert zipfile.ZipFile(tmp_path / "a.zip").namelist() == [
        "glue_jobs/__init__.py",
        "glue_jobs/features_lib/__init__.py",
        "glue_jobs/features_lib/log4j2.properties",
        "glue_jobs/features_lib/sub/__init__.py",
        "glue_jobs/features_lib/sub/core.py",
        "glue_jobs/features_lib/contract/feature_tables.json",
        "glue_jobs/features_lib/contract/glue_columns.json",
    ]
    assert not (tmp_path / "a.zip.partial").exists()


def test_packager_refuses_what_glue_could_not_import(tmp_path: Path) -> None:
    # GIVEN a tree without the jobs package, and one without the generated contract
    module = packager()
    artefact = module.ARTEFACTS["features_lib"]
    (tmp_path / "glue_jobs" / "features_lib").mkdir(parents=True)
    (tmp_path / "glue_jobs" / "__init__.py").write_text("")
    # WHEN each is zipped
    # THEN the packager stops with a message naming what is missing, and writes nothing
    with pytest.raises(module.PackageError, match="not a Python package"):
        artefact.build(tmp_path / "x.zip", root=tmp_path)
    (tmp_path / "glue_jobs" / "features_lib" / "__init__.py").write_text("")
    with pytest.raises(module.PackageError, match=r"schemas\.derive"):
        artefact.build(tmp_path / "x.zip", root=tmp_path)
    assert not (tmp_path / "x.zip").exists()


def test_packager_cli_names_unknown_artefacts_and_lists_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the command line
    module = packager()
    # WHEN an unknown artefact is asked for, then the table is listed
    refused = module.main(["build", "nope_lib"])
    refused_err = capsys.readouterr().err
    listed = module.main(["list"])
    out = capsys.readouterr().out
    # THEN the first fails naming the known ones, and the list shows every artefact with its key
    assert refused == 1
    assert "unknown artefact(s) nope_lib" in refused_err and "explorer_lib" in refused_err
    assert listed == 0
    for artefact in module.ARTEFACTS.values():
        assert f"artifacts/glue/{artefact.name}.zip" in out


def test_packager_deploys_to_the_stacks_samconfig_names() -> None:
    # GIVEN samconfig.toml's environments
    module = packager()
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    # WHEN the packager resolves each environment's stack
    # THEN it is the stack `sam deploy --config-env` deploys, and an unknown environment is refused
    for env in ("default", "prod"):
        assert module.stack_name(env) == config[env]["global"]["parameters"]["stack_name"]
    with pytest.raises(module.PackageError, match="no environment"):
        module.stack_name("nowhere")
