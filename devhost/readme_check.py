"""The README's figures against a report: ``make readme-check`` (``python -m devhost.readme_check``).

The README keeps the figures a command produces in one table between ``<!-- figures -->`` and
``<!-- /figures -->``: each row names the figure, the value quoted, the ``report.json`` key that
``make demo`` writes it to (dotted, with ``[i]`` for list items) and the tolerance it is quoted
with (``±0.05``, or ``±2%`` of the value). A value written with ``%`` is compared with a report
ratio times 100 when the report holds a ratio (0..1). The check fails on a missing key, a
non-numeric value or a figure outside its tolerance; the test suite runs it on a fixture report,
the make target on ``$AUDIENCE_HOME/report.json``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.report import read_report, report_path

START, END = "<!-- figures -->", "<!-- /figures -->"
_INDEX = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Figure:
    label: str
    quoted: str
    key: str
    tolerance: str

    @property
    def value(self) -> float:
        return float(self.quoted.replace(",", "").replace("%", "").replace("\u00d7", "").strip())

    @property
    def percent(self) -> bool:
        return self.quoted.strip().endswith("%")

    def allowed(self) -> float:
        tol = self.tolerance.replace("±", "").strip()
        if tol.endswith("%") and not self.percent:
            return abs(self.value) * float(tol[:-1]) / 100
        return float(tol.replace("%", "").replace(",", ""))


def figures(readme: str) -> list[Figure]:
    """The rows of the README's figures table (header and separator skipped)."""
    if START not in readme or END not in readme:
        raise ValueError(f"the README has no figures table between {START} and {END}")
    block = readme.split(START, 1)[1].split(END, 1)[0]
    rows = [line.strip() for line in block.splitlines() if line.strip().startswith("|")]
    out = []
    for line in rows[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != 4:
            raise ValueError(f"a figures row needs 4 cells (figure | value | key | tolerance): {line}")
        label, quoted, key, tolerance = cells
        out.append(Figure(label, quoted, key.strip("`"), tolerance))
    return out


def lookup(report: Any, key: str) -> Any:
    node = report
    for name, index in _INDEX.findall(key):
        if name:
            if not isinstance(node, dict) or name not in node:
                raise KeyError(key)
            node = node[name]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                raise KeyError(key)
            node = node[int(index)]
    return node


def check(readme: str, report: dict[str, Any]) -> list[str]:
    """One line per figure that the report does not reproduce (empty when all agree)."""
    problems = []
    for f in figures(readme):
        try:
            actual = lookup(report, f.key)
        except KeyError:
            problems.append(f"{f.label}: {f.key} is not in the report")
            continue
        if not isinstance(actual, int | float) or isinstance(actual, bool):
            problems.append(f"{f.label}: {f.key} is {actual!r:.40}, not a number")
            continue
        measured = float(actual) * 100 if f.percent and abs(actual) <= 1 else float(actual)
        if abs(measured - f.value) > f.allowed() + 1e-9:
            problems.append(
                f"{f.label}: README says {f.quoted} ({f.tolerance}), the report has {measured:g} ({f.key})"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    import argparse

    from audience.core.settings import get_settings

    parser = argparse.ArgumentParser(prog="make readme-check", description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--report", type=Path, default=None, help="default: $AUDIENCE_HOME/report.json")
    args = parser.parse_args(argv)
    home = get_settings().home.resolve()
    path = args.report or report_path(home)
    if not path.exists():
        print(f"no report at {path}: run `make demo` first (it writes every figure there)", file=sys.stderr)
        return 1
    report = read_report(path.parent) if args.report is None else _load(path)
    problems = check(args.readme.read_text(encoding="utf-8"), report)
    count = len(figures(args.readme.read_text(encoding="utf-8")))
    if problems:
        print(f"{len(problems)} of {count} README figures differ from {path}:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"all {count} README figures agree with {path}")
    return 0


def _load(path: Path) -> dict[str, Any]:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


if __name__ == "__main__":
    raise SystemExit(main())
