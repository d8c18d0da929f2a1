"""The backfill's nested stack: linted, referenced from the root template, pinned like the project."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "stacks" / "backfill.yaml"


def _template(path: Path) -> dict[str, Any]:
    template, matches = decode(str(path))
    assert not matches and template is not None, matches
    return dict(template)


def test_the_nested_stack_passes_cfn_lint() -> None:
    # GIVEN the project's pinned cfn-lint WHEN it checks the nested template THEN nothing is reported
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run(
        [str(cfn_lint), str(STACK)], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_root_template_nests_it_with_the_lake_bucket() -> None:
    # GIVEN the root template WHEN its backfill application is read
    app = _template(ROOT / "template.yaml")["Resources"]["BackfillApp"]
    # THEN it is a serverless application at stacks/backfill.yaml given every required parameter
    assert app["Type"] == "AWS::Serverless::Application"
    assert app["Properties"]["Location"] == "stacks/backfill.yaml"
    required = {k for k, v in _template(STACK)["Parameters"].items() if "Default" not in v}
    assert required <= set(app["Properties"]["Parameters"])


def test_the_job_runs_the_backfill_script_with_the_project_pins() -> None:
    # GIVEN the job's definition
    job = _template(STACK)["Resources"]["BackfillJob"]["Properties"]
    # THEN its script exists relative to the nested template, and the contract's dependencies are
    # installed at exactly the versions pyproject.toml pins
    assert (STACK.parent / job["Command"]["ScriptLocation"]).resolve() == ROOT / "glue_jobs" / "backfill.py"
    assert job["GlueVersion"] == "5.0"
    pins = {
        m.group(1): m.group(2)
        for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        if (m := re.match(r"^([a-z0-9-]+)==([0-9.]+)$", dep))
    }
    modules = dict(m.split("==") for m in job["DefaultArguments"]["--additional-python-modules"].split(","))
    assert modules == {name: pins[name] for name in ("pydantic", "pycountry", "tenacity", "orjson")}
    assert "backfill_lib.zip" in str(job["DefaultArguments"]["--extra-py-files"])


def test_the_role_writes_only_events_quarantine_and_scratch() -> None:
    # GIVEN the job's role WHEN its write statement is read THEN it covers exactly those prefixes
    role = _template(STACK)["Resources"]["BackfillJobRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert len(writes) == 1
    prefixes = sorted(r["Fn::Sub"].split("}/")[-1] for r in writes[0]["Resource"])
    assert prefixes == ["engagement-events/*", "glue-temp/*", "quarantine/backfill/*"]
