"""Vision-language OCR models on the GPU (GOT-OCR2, Janus-Pro) through transformers.

This package's top level imports nothing heavy: the registry and the GPU service read the catalog below
without pulling in torch.
"""

from __future__ import annotations

# The engine that serves each known checkpoint; MODEL_NAME picks one.
MODELS: dict[str, str] = {
    "stepfun-ai/GOT-OCR-2.0-hf": "got-ocr2",
    "deepseek-community/Janus-Pro-1B": "janus-pro",
    "deepseek-community/Janus-Pro-7B": "janus-pro",
}
DEFAULT_MODELS = {"got-ocr2": "stepfun-ai/GOT-OCR-2.0-hf", "janus-pro": "deepseek-community/Janus-Pro-1B"}
# Fine-tunes and local copies are recognised by name, so MODEL_NAME may also be a folder name.
_NAME_HINTS = (("got-ocr", "got-ocr2"), ("got_ocr", "got-ocr2"), ("janus", "janus-pro"))


def engine_for_model(model_name: str) -> str:
    """The engine name for ``MODEL_NAME``; ValueError names the known models when nothing fits."""
    if model_name in MODELS:
        return MODELS[model_name]
    lowered = model_name.lower()
    for hint, engine in _NAME_HINTS:
        if hint in lowered:
            return engine
    raise ValueError(f"MODEL_NAME={model_name!r} is not a model this service runs; known: {', '.join(MODELS)}")


def model_for_engine(engine: str, model_name: str | None) -> str:
    """The checkpoint an engine loads: ``MODEL_NAME`` when it names one of this engine's models."""
    if model_name is not None:
        try:
            if engine_for_model(model_name) == engine:
                return model_name
        except ValueError:
            pass
    return DEFAULT_MODELS[engine]
