"""The :class:`~audience.models.ports.ModelPredictor` in-process: the SageMaker handlers themselves.

``sagemaker/inference.py`` is imported from its folder (as the container imports it) and each model's
``current`` version is loaded once with ``model_fn``; a request runs ``input_fn``, ``predict_fn`` and
``output_fn`` exactly as on the endpoint, and the handlers' 4xx become :class:`PredictionRejectedError`.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from audience.models.ports import ModelName, PredictionRejectedError, encode
from audience.models.registry import SAGEMAKER_DIR, LocalRegistry


def handlers() -> ModuleType:
    """``sagemaker/inference.py`` imported as the container does (its folder on ``sys.path``)."""
    folder = str(SAGEMAKER_DIR)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module("inference")


class InProcessPredictor:
    def __init__(self, registry: LocalRegistry) -> None:
        self.registry = registry
        self.inference = handlers()
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
