"""The parsed templates and paths shared by the infra tests.

``template()`` is template.yaml merged with its nested applications (stacks/*.yaml), as
tests/template_testkit.py describes: a resource is found by its logical id whichever file holds it,
and ``source(name)`` is that file (paths in a resource are relative to it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from template_testkit import ROOT, TEMPLATE, template_files, templates

SAMCONFIG = ROOT / "samconfig.toml"
SAM_PYTHON = ROOT / "tools" / "sam" / ".venv" / "bin" / "python"

__all__ = ["ROOT", "SAMCONFIG", "SAM_PYTHON", "TEMPLATE", "template_files"]


def template() -> dict[str, Any]:
    return templates().merged


def resource(name: str) -> dict[str, Any]:
    return template()["Resources"][name]


def props(name: str) -> dict[str, Any]:
    return resource(name)["Properties"]


def source(name: str) -> Path:
    """The template file that declares resource ``name``."""
    return templates().source(name)


def globals_of(name: str) -> dict[str, Any]:
    """The Globals section of the template file that declares resource ``name``."""
    globals_: dict[str, Any] = templates().raw[templates().sources[name]].get("Globals", {})
    return globals_


def sub_text(value: Any) -> str:
    """The text of a plain string or of an ``!Sub`` string, with ``${!x}`` un-escaped to ``${x}``."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    assert isinstance(text, str), value
    return text.replace("${!", "${")


def has_build_target(logical_id: str) -> bool:
    """Whether ``sam build``'s ``make build-<logical_id>`` resolves (a dry run: nothing is built)."""
    import subprocess

    result = subprocess.run(
        ["make", "-n", "--no-print-directory", f"build-{logical_id}", "ARTIFACTS_DIR=/nonexistent"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return result.returncode == 0
