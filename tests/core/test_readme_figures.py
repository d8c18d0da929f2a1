"""The README's figures table against a report: the check ``make readme-check`` runs on a real
``make demo`` report, here on a fixture report of the same shape (tests/fixtures/report.json, the
figures of one demo run)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from devhost.readme_check import check, figures, lookup, main

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FIXTURE = ROOT / "tests" / "fixtures" / "report.json"


def _report() -> dict[str, object]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_readme_figures_table_is_there_and_names_report_keys() -> None:
    rows = figures(README)
    assert len(rows) >= 10
    sections = {row.key.split(".")[0] for row in rows}
    assert {"ingest", "explorer", "segments"} <= sections
    for row in rows:
        assert row.tolerance.startswith("±"), row
        assert isinstance(row.value, float)


def test_readme_figures_agree_with_the_fixture_report() -> None:
    assert check(README, _report()) == []


def test_readme_check_finds_a_figure_out_of_tolerance_and_a_missing_key() -> None:
    # GIVEN the fixture report with one figure moved and one section missing
    report = copy.deepcopy(_report())
    first = figures(README)[0]
    parent, _, leaf = first.key.rpartition(".")
    node = lookup(report, parent)
    node[leaf] = node[leaf] * 3 + 100  # type: ignore[index]
    del report["explorer"]
    # WHEN checked THEN both are reported, by name
    problems = check(README, report)
    assert any(p.startswith(first.label) for p in problems)
    assert any("explorer." in p and "not in the report" in p for p in problems)


@pytest.mark.parametrize(
    ("quoted", "tolerance", "actual", "ok"),
    [
        ("74.0%", "±8", 0.75, True),  # a ratio in the report, a percentage in the README
        ("74.0%", "±8", 0.83, False),
        ("97,000", "±0", 97000, True),
        ("0.98", "±0.02", 0.955, False),
        ("8,850", "±20%", 7500, True),
    ],
)
def test_readme_check_units_and_tolerances(quoted: str, tolerance: str, actual: float, ok: bool) -> None:
    readme = f"<!-- figures -->\n| figure | value | key | tolerance |\n| - | - | - | - |\n| x | {quoted} | `a.b` | {tolerance} |\n<!-- /figures -->"
    assert (check(readme, {"a": {"b": actual}}) == []) is ok


def test_readme_check_command(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps(_report()))
    assert main(["--readme", str(ROOT / "README.md"), "--report", str(report)]) == 0
    assert main(["--readme", str(ROOT / "README.md"), "--report", str(tmp_path / "none.json")]) == 1
