"""Tiny GOT-OCR2 and Janus checkpoints in temporary folders, and settings that point the engines at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ablage.engines.supervisor import EngineSupervisor
from ablage.settings import ModelSettings, OcrSettings, Settings

pytest.importorskip("torch", reason="the gpu extra (torch, transformers) is not installed")
pytest.importorskip("transformers", reason="the gpu extra (torch, transformers) is not installed")

GOT = "stepfun-ai/GOT-OCR-2.0-hf"
JANUS = "deepseek-community/Janus-Pro-1B"
ENGINES = {GOT: "got-ocr2", JANUS: "janus-pro"}


@pytest.fixture
def backend() -> str:
    """The GPU engines are the subject here, not the backends: their HTTP tests run once, embedded."""
    return "embedded"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # The service never reaches a model hub; neither may its tests.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MODEL_DIR holding both tiny models under their hub names."""
    from bench.vlm_models import build_got_ocr2, build_janus

    root = tmp_path_factory.mktemp("models")
    build_got_ocr2(root / GOT)
    build_janus(root / JANUS)
    return root


def model_settings(model_root: Path, **overrides: Any) -> ModelSettings:
    values: dict[str, Any] = {
        "model_dir": model_root,
        "model_device": "cpu",
        "model_max_new_tokens": 12,
        "model_max_crops": 2,
        "model_batch_wait": 0.2,
    }
    return ModelSettings(**(values | overrides))


@pytest.fixture
def make_engine(model_root: Path, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Builds the engine for a model name through the supervisor, loaded and warmed up."""
    registries: list[EngineSupervisor] = []

    def build(model_name: str, **overrides: Any) -> Any:
        settings = Settings(ocr=OcrSettings(model_name=model_name), model=model_settings(model_root, **overrides))
        registry = EngineSupervisor(settings)
        registries.append(registry)
        registry.start([ENGINES[model_name]])
        registry.wait(ENGINES[model_name], 60)
        engine = registry.get(ENGINES[model_name])
        assert engine.wait_loaded(60), engine.info()
        return engine

    yield build
    for registry in registries:
        registry.close()
