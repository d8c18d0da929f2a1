"""The demo's stage timer: every stage's seconds and the run's configuration (its seed) in report.json,
written after each stage, a failed stage included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from devhost.demo import Stages


def test_demo_stages_report_each_stage_and_the_runs_seed_even_when_a_stage_fails(tmp_path: Path) -> None:
    # GIVEN a stage timer for a run with seed 11
    stages = Stages(Console(quiet=True), tmp_path, {"seed": 11, "events": 1_000})

    # WHEN one stage ends and the next one raises
    with stages("generate"):
        pass
    with pytest.raises(RuntimeError), stages("models"):
        raise RuntimeError("training failed")

    # THEN report.json's demo section names the seed and holds both stages' timings and the machine
    demo = json.loads((tmp_path / "report.json").read_text())["demo"]
    assert demo["config"] == {"seed": 11, "events": 1_000}
    assert set(demo["stages_seconds"]) == {"generate", "models"}
    assert all(seconds >= 0 for seconds in demo["stages_seconds"].values())
    assert demo["machine"]["cpus"] >= 1
