"""The VLM engines' whole path on the CPU with tiny random-weight models: offline loading, preprocessing,
batching across threads, generation, decoding, the result model, and what happens when memory runs out or
CUDA breaks."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import torch
from ablage.engines.supervisor import EngineState, EngineSupervisor
from ablage.engines.vlm import engine_for_model
from ablage.errors import EngineFallback
from ablage.results.model import PageSource
from PIL import Image
from prometheus_client import REGISTRY

from tests.gpu.conftest import ENGINES, GOT, JANUS

A4_300_DPI = (2480, 3508)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def page(size: tuple[int, int] = (620, 877)) -> Image.Image:
    return Image.new("RGB", size, "white")


@pytest.mark.parametrize("model_name", [GOT, JANUS])
def test_pages_from_several_threads_run_as_one_batch(make_engine: Any, model_name: str) -> None:
    engine = make_engine(model_name)
    name = ENGINES[model_name]
    info = engine.info()
    assert info.loaded and info.device == "cpu" and info.version == model_name
    assert info.extra["model_dir"].endswith(model_name)
    batches_before = metric("ablage_engine_batch_size_count", engine=name)
    pages_in_batches = metric("ablage_engine_batch_size_sum", engine=name)
    tokens_before = metric("ablage_engine_generated_tokens_total", engine=name)

    def read(number: int) -> Any:
        return engine.recognize(page(), page_number=number, dpi=75, languages=["de", "en"], timeout=60)

    with ThreadPoolExecutor(3) as pool:
        pages = list(pool.map(read, [1, 2, 3]))

    assert [p.number for p in pages] == [1, 2, 3]
    for result in pages:
        assert result.engine == name and result.source is PageSource.ocr
        assert (result.width, result.height, result.dpi) == (620, 877, 75)
        assert 0 <= result.confidence <= 1
        for block in result.blocks:
            # No positions from a VLM: every box is the whole page, and no word boxes are invented.
            assert block.bbox == (0, 0, 620, 877)
            assert all(line.bbox == block.bbox and not line.words for line in block.lines)
    batches = metric("ablage_engine_batch_size_count", engine=name) - batches_before
    pages_batched = metric("ablage_engine_batch_size_sum", engine=name) - pages_in_batches
    assert pages_batched == 3 and batches < 3, "the three pages should share a generate call"
    assert metric("ablage_engine_generated_tokens_total", engine=name) > tokens_before
    assert metric("ablage_engine_page_seconds_count", engine=name) >= 3


def test_got_cuts_an_a4_page_at_300_dpi_into_tiles_and_a_thumbnail(make_engine: Any) -> None:
    engine = make_engine(GOT, model_max_crops=6)
    prepared = engine._prepare(page(A4_300_DPI), None)
    # 2 x 3 tiles for the portrait page plus the thumbnail, 256 image tokens each.
    assert prepared.pixel_values.shape[0] == 7
    assert len(prepared.input_ids) > 7 * 256
    result = engine.recognize(page(A4_300_DPI), page_number=1, dpi=300, languages=["de"], timeout=60)
    assert (result.width, result.height) == A4_300_DPI


def test_out_of_memory_halves_the_batch_until_it_fits(make_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(GOT, model_batch_size=4, model_batch_wait=0.5)
    real = engine._generate
    sizes: list[int] = []

    def two_pages_fit(batch: Any, max_new_tokens: int) -> Any:
        sizes.append(len(batch))
        if len(batch) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated allocator limit of 2 pages)")
        return real(batch, max_new_tokens)

    monkeypatch.setattr(engine, "_generate", two_pages_fit)
    splits_before = metric("ablage_engine_oom_splits_total", engine="got-ocr2")
    with ThreadPoolExecutor(4) as pool:
        pages = list(
            pool.map(
                lambda n: engine.recognize(page(), page_number=n, dpi=75, languages=["en"], timeout=60), [1, 2, 3, 4]
            )
        )
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert sizes[0] == 4 and max(sizes[1:]) <= 2
    assert metric("ablage_engine_oom_splits_total", engine="got-ocr2") > splits_before
    assert engine.info().extra["batch_limit"] == "2"  # later batches start at the size that fitted


def test_a_page_that_does_not_fit_alone_falls_back(make_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(JANUS)

    def never_fits(batch: Any, max_new_tokens: int) -> Any:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")

    monkeypatch.setattr(engine, "_generate", never_fits)
    with pytest.raises(EngineFallback) as raised:
        engine.recognize(page(), page_number=5, dpi=75, languages=["en"], timeout=60)
    assert raised.value.reason == "oom" and "page 5" in raised.value.detail
    assert engine.info().loaded  # memory pressure is not a broken GPU: the engine stays in service


def test_a_broken_cuda_context_marks_the_engine_unusable(make_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(GOT)

    def illegal_access(batch: Any, max_new_tokens: int) -> Any:
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(engine, "_generate", illegal_access)
    with pytest.raises(EngineFallback) as raised:
        engine.recognize(page(), page_number=1, dpi=75, languages=["en"], timeout=60)
    assert raised.value.reason == "cuda_error"
    info = engine.info()
    assert not info.loaded and "illegal memory access" in (info.detail or "")
    # Later pages do not touch the GPU again.
    with pytest.raises(EngineFallback):
        engine.recognize(page(), page_number=2, dpi=75, languages=["en"], timeout=60)


def test_timeout_stops_waiting(make_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ablage.errors import ProcessingTimeout

    engine = make_engine(GOT)
    real = engine._generate

    def slow(batch: Any, max_new_tokens: int) -> Any:
        time.sleep(0.5)
        return real(batch, max_new_tokens)

    monkeypatch.setattr(engine, "_generate", slow)
    with pytest.raises(ProcessingTimeout):
        engine.recognize(page(), page_number=1, dpi=75, languages=["en"], timeout=0.2)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("nothing", "expected"),
        ("no-weights", "has no weights"),
        ("truncated", "is incomplete"),
        ("wrong-type", "not got_ocr2"),
        ("no-processor", "processor is incomplete"),
    ],
)
def test_missing_or_partial_model_folder_names_the_path(
    model_root: Path, tmp_path: Path, damage: str, message: str
) -> None:
    import shutil

    from ablage.errors import EngineUnavailable
    from ablage.settings import OcrSettings, Settings

    from tests.gpu.conftest import model_settings

    folder = tmp_path / "got"
    if damage != "nothing":
        shutil.copytree(model_root / GOT, folder)
    weights = folder / "model.safetensors"
    if damage == "no-weights":
        weights.unlink()
    elif damage == "truncated":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif damage == "wrong-type":
        config = folder / "config.json"
        config.write_text(config.read_text().replace('"got_ocr2"', '"janus"'))
    elif damage == "no-processor":
        (folder / "processor_config.json").unlink()
    settings = Settings(ocr=OcrSettings(model_name=GOT), model=model_settings(folder))
    started = time.monotonic()
    registry = EngineSupervisor(settings)
    registry.start(["got-ocr2"])
    status = registry.wait("got-ocr2", 5)
    assert time.monotonic() - started < 5
    assert status.state is EngineState.failed
    assert message in (status.reason or "") and str(folder) in (status.reason or "")
    with pytest.raises(EngineUnavailable) as raised:
        registry.get("got-ocr2")
    assert message in raised.value.detail
    registry.close()


def test_weights_are_found_in_the_hugging_face_cache(model_root: Path, tmp_path: Path) -> None:
    import shutil

    from ablage.engines.vlm.loading import resolve_model_dir
    from ablage.settings import ModelSettings

    repo = tmp_path / "hub" / "models--stepfun-ai--GOT-OCR-2.0-hf"
    snapshot = repo / "snapshots" / "0123abcd"
    shutil.copytree(model_root / GOT, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    assert resolve_model_dir(GOT, ModelSettings(hf_home=tmp_path)) == snapshot


def test_no_cuda_means_unavailable_not_slow(model_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ablage.settings import OcrSettings, Settings

    from tests.gpu.conftest import model_settings

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    registry = EngineSupervisor(
        Settings(ocr=OcrSettings(model_name=GOT), model=model_settings(model_root, model_device="auto"))
    )
    registry.start(["got-ocr2"])
    status = registry.wait("got-ocr2", 30)
    registry.close()
    assert not status.available and "no usable CUDA device" in (status.reason or "")


def test_model_names_pick_engines() -> None:
    assert engine_for_model(GOT) == "got-ocr2"
    assert engine_for_model("deepseek-community/Janus-Pro-7B") == "janus-pro"
    assert engine_for_model("my-org/got-ocr2-finetuned") == "got-ocr2"
    with pytest.raises(ValueError, match="known"):
        engine_for_model("microsoft/trocr-base")
