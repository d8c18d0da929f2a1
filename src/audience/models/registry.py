"""Local model artefacts: ``$AUDIENCE_HOME/models/<model>/<version>/`` and a ``current`` pointer.

A version folder holds what SageMaker would put in ``model.tar.gz``: ``model.joblib``,
``metrics.json`` and ``features.json``. ``current`` (a one-line file naming a version) moves only when
:func:`audience.models.gate.decide` lets the version in, the same gate the retraining workflow uses.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from audience.core.settings import find_project_root
from audience.models.gate import GateDecision, decide
from audience.models.ports import ModelName, ModelUnavailableError

SAGEMAKER_DIR: Final = find_project_root() / "sagemaker"
"""The script-mode source folder (SageMaker's ``source_dir``)."""


class LocalRegistry:
    def __init__(self, root: Path) -> None:
        self.root = root

    def new_version(self, model: ModelName) -> str:
        return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")

    def version_dir(self, model: ModelName, version: str) -> Path:
        return self.root / model / version

    def current(self, model: ModelName) -> str:
        pointer = self.root / model / "current"
        if not pointer.is_file():
            raise ModelUnavailableError(
                f"no {model} model has been promoted under {self.root}: run `python -m audience.models train`"
            )
        return pointer.read_text().strip()

    def metrics(self, model: ModelName, version: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads((self.version_dir(model, version) / "metrics.json").read_text())
        return value

    def current_metrics(self, model: ModelName) -> dict[str, Any] | None:
        try:
            return self.metrics(model, self.current(model))
        except ModelUnavailableError:
            return None

    def consider(self, model: ModelName, version: str, *, min_gain: float = 0.0) -> GateDecision:
        """Gate ``version`` against the model in service; move ``current`` to it only if it passes."""
        decision = decide(self.metrics(model, version), self.current_metrics(model), min_gain=min_gain)
        record = {**decision.to_dict(), "version": version, "decided_at": datetime.now(UTC).isoformat()}
        (self.version_dir(model, version) / "gate.json").write_text(json.dumps(record, indent=2) + "\n")
        if decision.promote:
            pointer = self.root / model / "current"
            temporary = pointer.with_suffix(".tmp")
            temporary.write_text(version + "\n")
            os.replace(temporary, pointer)  # atomic: a reader sees the old or the new version
        return decision
