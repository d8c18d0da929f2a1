"""`sam build` of the real template, then each built function imported and invoked under Python 3.13.

The build runs once per module into a temporary --build-dir. Each check starts a fresh
``python3.13 -I -S`` with only the function's build folder on sys.path: no repository, no
site-packages, no PYTHONPATH, so a module or dependency missing from the package fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from template_testkit import Templates, load, templates

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
SAM = ROOT / "tools" / "sam" / ".venv" / "bin" / "sam"
EVENTS = ROOT / "events"
LOCAL_ONLY = ("pyarrow", "duckdb", "flask", "waitress", "typer", "rich", "httpx", "werkzeug")
DEV_ONLY = ("pytest", "moto", "cfnlint", "mypy", "ruff", "jsonschema", "openapi_spec_validator")


def _is_python313(candidate: str | None) -> bool:
    if not candidate:
        return False
    try:
        proc = subprocess.run(
            [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"],
            capture_output=True,
            timeout=30,
        )
    except OSError:
        return False
    return proc.returncode == 0


@cache
def python313() -> str | None:
    """AUDIENCE_PYTHON313 (set by the Makefile), else python3.13 on PATH, else pyenv's newest 3.13."""
    pyenv = sorted((Path.home() / ".pyenv" / "versions").glob("3.13*/bin/python3.13"))
    candidates = [os.environ.get("AUDIENCE_PYTHON313"), shutil.which("python3.13"), *map(str, pyenv[::-1])]
    return next((c for c in candidates if _is_python313(c)), None)


def source_functions() -> list[str]:
    """Every function of template.yaml and its nested applications."""
    resources = templates().merged["Resources"]
    return sorted(k for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build` into a temporary folder, with python3.13 first on PATH (as `make build` does)."""
    python = python313()
    if python is None:
        pytest.skip("no Python 3.13 found (AUDIENCE_PYTHON313, python3.13, ~/.pyenv): `pyenv install 3.13`")
    if not SAM.exists():
        pytest.fail("SAM CLI missing: run `make setup-sam`")
    out = tmp_path_factory.mktemp("sam") / "build"
    env = {
        **os.environ,
        "PATH": f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AUDIENCE_PYTHON313": python,
        "SAM_CLI_TELEMETRY": "0",
    }
    proc = subprocess.run(
        [str(SAM), "build", "--build-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"sam build failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def built(build_dir: Path) -> Templates:
    """The built root template and the nested ones sam build wrote beside it (<App>/template.yaml)."""
    return load(build_dir / "template.yaml")


@pytest.fixture(scope="module")
def built_template(built: Templates) -> dict[str, Any]:
    return built.merged


def code_dir(built: Templates, function: str) -> Path:
    """A built function's folder: its CodeUri, relative to the built template that declares it."""
    return built.source(function).parent / built.merged["Resources"][function]["Properties"]["CodeUri"]


def run_isolated(
    code_dir: Path, script: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in python3.13 -I -S with only ``code_dir`` importable, from a neutral folder."""
    python = python313()
    assert python is not None
    prelude = f"import sys; sys.path[:0] = [{str(code_dir)!r}]\n"
    return subprocess.run(
        [python, "-I", "-S", "-c", prelude + script],
        cwd=code_dir.parent,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sam_build_packages_every_function(built: Templates, built_template: dict[str, Any]) -> None:
    # GIVEN the functions declared in the source template
    expected = source_functions()
    # WHEN sam build has run (fixture)
    functions = [
        k for k, v in built_template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    ]
    # THEN each function points at its own built folder holding our three packages
    assert sorted(functions) == expected
    assert len({code_dir(built, name) for name in functions}) == len(functions)
    for name in functions:
        code = code_dir(built, name)
        assert code.is_dir(), name
        for package in ("functions", "audience", "schemas"):
            assert (code / package / "__init__.py").is_file(), (name, package)
        assert (code / "schemas" / "generated" / "glue_columns.json").is_file()


@pytest.mark.parametrize("function", source_functions())
def test_built_function_imports_under_python313_in_isolation(
    built: Templates, built_template: dict[str, Any], function: str
) -> None:
    # GIVEN one built function and its dotted handler
    properties = built_template["Resources"][function]["Properties"]
    module, _, attribute = properties["Handler"].rpartition(".")
    code = code_dir(built, function)
    # WHEN Python 3.13 imports it with nothing but the build folder on the path
    script = (
        f"import importlib; m = importlib.import_module({module!r}); h = getattr(m, {attribute!r})\n"
        "assert callable(h)\n"
        "import pydantic_core, audience, schemas\n"
        f"outside = [n for n, mod in sys.modules.items() if getattr(mod, '__file__', None) "
        f"and not mod.__file__.startswith({str(code)!r}) and not mod.__file__.startswith(sys.base_prefix)]\n"
        "assert not outside, outside\n"
        "assert pydantic_core.__file__.startswith(sys.path[0])\n"
        "print('ok')"
    )
    proc = run_isolated(code, script, {"AWS_REGION": "us-east-1"})
    # THEN the import succeeds, and every module came from the package or the standard library
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")


def test_built_package_is_lean_and_built_for_lambda(built: Templates) -> None:
    # GIVEN the built ingest function
    code = code_dir(built, "IngestFunction")
    top = {p.name for p in code.iterdir()}
    # WHEN its contents are listed
    extensions = [p.name for p in code.rglob("*.so")]
    # THEN no tests, local-only or dev-only packages are shipped
    assert not {"tests", "bench", "events", ".venv", "devhost"} & top
    assert not [p for p in code.rglob("tests") if p.parent.name in ("functions", "audience", "schemas")]
    assert not [name for name in LOCAL_ONLY + DEV_ONLY if name in top]
    # AND compiled extensions are for CPython 3.13 on x86_64 Linux, and byte-code is precompiled
    assert extensions
    assert all(n.endswith((".cpython-313-x86_64-linux-gnu.so", ".abi3.so")) for n in extensions), extensions
    (pyc,) = (code / "functions" / "ingest" / "__pycache__").glob("app.cpython-313.pyc")
    # AND the byte-code names the files where Lambda runs them, not the build folder (so neither the
    # package's size nor its bytes depend on where, or in which nested application, it was built)
    assert b"/var/task/functions/ingest/app.py" in pyc.read_bytes()
    assert str(code).encode() not in pyc.read_bytes()


def _lambda_env() -> dict[str, str]:
    return {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "IngestFunction",
        "AUDIENCE_BACKEND": "aws",
        "AUDIENCE_STAGE": "test",
        "AUDIENCE_LAKE_BUCKET": "lake-bucket-not-used",
        "AUDIENCE_DELIVERY_STREAM": "stream-not-used",
        "AUDIENCE_COUNTERS_TABLE": "table-not-used",
        "AUDIENCE_ALLOWED_ORIGINS": "https://app.example.com",
        "POWERTOOLS_SERVICE_NAME": "audience-ingest",
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
    }


_INVOKE = """
import json
import functions.ingest.app as app

class Context:
    function_name = "IngestFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:IngestFunction"
    aws_request_id = "c6af9ac6-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/IngestFunction"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self):
        return 20000

with open(EVENT) as f:
    event = json.load(f)
print("RESPONSE " + json.dumps(app.handler(event, Context())))
"""


def invoke_built(built: Templates, sample: str) -> dict[str, Any]:
    code = code_dir(built, "IngestFunction")
    script = f"EVENT = {str(EVENTS / sample)!r}\n" + _INVOKE
    proc = run_isolated(code, script, _lambda_env())
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESPONSE "))
    response: dict[str, Any] = json.loads(line.removeprefix("RESPONSE "))
    return response


def test_built_handler_answers_health_with_aws_backend(built: Templates) -> None:
    # GIVEN the sample GET /health event and the aws backend with resources that do not exist
    # WHEN the built handler runs under Python 3.13
    response = invoke_built(built, "ingest_health.json")
    # THEN it answers 200 without touching AWS (adapters are created on first use)
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {"status": "ok", "stage": "test"}


def test_built_handler_answers_preflight_for_an_allowed_origin(built: Templates) -> None:
    # GIVEN the sample OPTIONS /events event from an allow-listed origin (the API asks for no key)
    # WHEN the built handler runs under Python 3.13
    response = invoke_built(built, "ingest_preflight.json")
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for k, v in (response.get("multiValueHeaders") or {}).items():
        headers[k.lower()] = ",".join(v)
    # THEN the function itself answers the preflight and echoes that origin, never '*'
    assert 200 <= response["statusCode"] < 300, response
    assert headers.get("access-control-allow-origin") == "https://app.example.com"
