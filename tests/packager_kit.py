"""``scripts/package.py`` (the one packager of the Glue jobs' libraries) for the tests that build its zips.

``scripts/`` is not a package, so the module is imported from its path, once per test process, and
registered in ``sys.modules`` (its dataclasses look their module up by name).
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


@cache
def packager() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audience_packager", ROOT / "scripts" / "package.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
