"""What each Lambda function's code reads from its environment, found statically.

From the function's handler module, every module it imports (at any depth, including imports inside
functions, such as the adapters wiring picks) that ships to Lambda (scripts/build_lambda.sh leaves
out the local backend, the CLI, the demo and the data generator) is parsed. In them:
- ``settings.<field>`` reads of :class:`audience.core.settings.Settings` fields (environment
  ``AUDIENCE_<FIELD>``), and ``<settings>.need("<field>")`` calls (the required-text accessor,
  whatever expression gives the settings: ``settings.need``, ``get_settings.load(M).need``);
- ``os.environ[...]``, and ``os.environ.get(...)``/``os.getenv(...)`` without a default, of literal names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from template_testkit import ROOT

SOURCES = (ROOT / "src", ROOT)
# Not shipped to Lambda (scripts/build_lambda.sh's excludes; devhost/ is not copied): never run there.
LOCAL_ONLY = (
    "audience.datagen",
    "audience.ingest.adapters.local",
    "audience.core.objectstore.adapters.local",
    "audience.core.sqlite",
    "audience.insights.adapters.local.duckdb_sql",
    "audience.models.adapters.local.predictor",
    "devhost",
)
OURS = ("audience", "functions", "schemas")


@dataclass
class Reads:
    settings: dict[str, set[str]] = field(default_factory=dict)  # field -> modules reading it
    environ: dict[str, set[str]] = field(default_factory=dict)  # variable -> modules reading it
    modules: set[str] = field(default_factory=set)


def module_path(name: str) -> Path | None:
    for base in SOURCES:
        for candidate in (
            base / (name.replace(".", "/") + ".py"),
            base / name.replace(".", "/") / "__init__.py",
        ):
            if candidate.is_file():
                return candidate
    return None


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            out.add(prefix)
            out |= {f"{prefix}.{a.name}" for a in node.names}
    return {m for m in out if m.split(".")[0] in OURS}


@cache
def reads_of(handler_module: str, settings_fields: frozenset[str]) -> Reads:
    reads = Reads()
    pending = [handler_module]
    while pending:
        module = pending.pop()
        if module in reads.modules or module.startswith(LOCAL_ONLY):
            continue
        path = module_path(module)
        if path is None:
            continue
        reads.modules.add(module)
        tree = ast.parse(path.read_text())
        pending += sorted(_imports(tree, module, path.name == "__init__.py"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in settings_fields:
                owner = node.value
                name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if "settings" in name.lower():
                    reads.settings.setdefault(node.attr, set()).add(module)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "need"
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in settings_fields
            ):
                reads.settings.setdefault(str(node.args[0].value), set()).add(module)
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = ast.unparse(node.func)
                # a read with a default (or setdefault, which writes one) has a defined fallback
                if func in ("os.environ.get", "os.getenv") and len(node.args) == 1:
                    reads.environ.setdefault(str(node.args[0].value), set()).add(module)
            if (
                isinstance(node, ast.Subscript)
                and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)
            ):
                reads.environ.setdefault(str(node.slice.value), set()).add(module)
    return reads
