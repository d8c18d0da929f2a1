"""Shared by every test folder: tests/builders.py on sys.path, and how the suite splits under xdist.

`make test` runs ``pytest -n 2 --dist loadgroup``. Every test is grouped with the rest of its module,
so module- and session-scoped fixtures (a ``sam build``, a trained model, a prepared lake) are built
once, on one worker. Everything that starts a JVM (the Glue scripts on local Spark) is one group,
so one worker holds one Spark session rather than two competing for the two cores and the memory;
the suites that start real servers and Chromium (api, ui) are another.
Tests never share a port (each server takes a free one) or an AUDIENCE_HOME (each takes a tmp dir).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Folders whose tests start local Spark: one xdist group, run by one worker. Folders whose tests
# start real servers (and Chromium): another group, so two servers never compete to start.
_SPARK = ("glue",)
_SERVERS = ("api", "ui")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        path = Path(str(item.fspath)).resolve()
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            continue
        group = (
            "spark"
            if parts and parts[0] in _SPARK
            else "servers"
            if parts and parts[0] in _SERVERS
            else "/".join(parts)
        )
        item.add_marker(pytest.mark.xdist_group(group))
        if group == "spark":
            item.add_marker(pytest.mark.slow)
