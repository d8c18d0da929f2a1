"""The parsed template and paths shared by the infra tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).parents[2]
TEMPLATE = ROOT / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"
SAM_PYTHON = ROOT / "tools" / "sam" / ".venv" / "bin" / "python"


@cache
def template() -> dict[str, Any]:
    data, matches = decode(str(TEMPLATE))
    assert not matches, [str(m) for m in matches]
    assert data is not None
    return data


def resource(name: str) -> dict[str, Any]:
    return template()["Resources"][name]


def props(name: str) -> dict[str, Any]:
    return resource(name)["Properties"]


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
