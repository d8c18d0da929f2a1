"""The :class:`~audience.models.ports.ModelPredictor` in-process: the SageMaker handlers themselves.

``sagemaker/inference.py`` is loaded from its file (as the container loads it from ``source_dir``) and each model's
``current`` version is loaded once with ``model_fn``; a request runs ``input_fn``, ``predict_fn`` and
``output_fn`` exactly as on the endpoint, and the handlers' 4xx become :class:`PredictionRejectedError`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from audience.models.ports import ModelName, PredictionRejectedError, encode
from audience.models.registry import SAGEMAKER_DIR, LocalRegistry


def _load(name: str, source_dir: Path) -> ModuleType:
    """``source_dir/<name>.py`` as the top-level module ``name`` (once per process), without touching
    ``sys.path``: the container runs the scripts as top-level modules of ``source_dir`` too."""
    loaded = sys.modules.get(name)
    if loaded is not None and Path(loaded.__file__ or "").resolve() == (source_dir / f"{name}.py").resolve():
        return loaded
    spec = importlib.util.spec_from_file_location(name, source_dir / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name}.py from {source_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def handlers(source_dir: Path = SAGEMAKER_DIR) -> ModuleType:
    """``sagemaker/inference.py`` with the sibling it imports (``modelkit``), loaded from their files."""
    _load("modelkit", source_dir)
    return _load("inference", source_dir)


class InProcessPredictor:
    def __init__(self, registry: LocalRegistry, source_dir: Path = SAGEMAKER_DIR) -> None:
        self.registry = registry
        self.inference = handlers(source_dir)
        self._loaded: dict[str, tuple[str, Any]] = {}

    def bundle(self, model: ModelName) -> Any:
        version = self.registry.current(model)  # raises ModelUnavailableError
        loaded = self._loaded.get(model)
        if loaded is None or loaded[0] != version:
            loaded = (version, self.inference.model_fn(str(self.registry.version_dir(model, version))))
            self._loaded[model] = loaded
        return loaded[1]

    def predict(
        self, model: ModelName, rows: Sequence[dict[str, Any]], content_type: str = "application/json"
    ) -> dict[str, Any]:
        bundle = self.bundle(model)
        handlers_ = self.inference
        try:
            data = handlers_.input_fn(encode(rows, content_type), content_type)
            body, _kind = handlers_.output_fn(handlers_.predict_fn(data, bundle), "application/json")
        except handlers_.RequestError as error:
            raise PredictionRejectedError(error.status, error.message, error.errors) from None
        answer: dict[str, Any] = json.loads(body)
        return answer
