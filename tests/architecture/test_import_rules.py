"""The rules of docs/architecture.md that import-linter cannot express, and the contract itself.

import-linter (``make lint``) checks who imports whom; these tests read the sources for what is not an
import: ``sys.path`` edits and ``Path(__file__).parents[N]`` reaches in the core package, and a boto3 or
botocore import outside ``core/aws.py`` and the ``adapters/aws`` packages anywhere in shipped code.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "audience"
SHIPPED = [SRC, ROOT / "functions", ROOT / "devhost"]


def _modules(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _may_import_boto(path: Path) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    return rel == "src/audience/core/aws.py" or "/adapters/aws/" in rel or rel.endswith("/adapters/aws.py")


def test_architecture_no_sys_path_edit_nor_parents_reach_in_the_core_package() -> None:
    # GIVEN every module of the core package
    offenders = []
    for path in _modules(SRC):
        text = path.read_text()
        # WHEN its text is searched for a sys.path edit or a parents[N] reach
        if re.search(r"sys\.path\s*(\.|\[|\+?=)", text) or re.search(r"\.parents\[\d+\]", text):
            offenders.append(path.relative_to(ROOT).as_posix())
    # THEN there is none: the project root is the project_root setting
    assert offenders == []


def test_architecture_boto3_only_in_core_aws_and_the_aws_adapters() -> None:
    # GIVEN every shipped module (the core package, the handlers, the development host)
    # WHEN the modules importing boto3 or botocore are collected
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in _modules(*SHIPPED)
        if _imported_roots(path) & {"boto3", "botocore"} and not _may_import_boto(path)
    ]
    # THEN each of them is core/aws.py or under an adapters/aws package
    assert offenders == []


def test_architecture_the_import_contract_is_kept() -> None:
    # GIVEN the contracts in pyproject.toml ([tool.importlinter])
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.fail("lint-imports is missing: `make setup` installs import-linter (dev group)")
    # WHEN import-linter checks them
    result = subprocess.run(
        [lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    # THEN every contract is kept
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
