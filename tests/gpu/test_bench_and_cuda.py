"""The GPU bench's code path (smoke mode on the CPU), and the engines on CUDA where a GPU is present."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from tests.gpu.conftest import GOT, JANUS

needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device: torch.cuda.is_available() is False"
)


def test_bench_smoke_run(tmp_path: Path) -> None:
    from bench.gpu_throughput import main

    out = tmp_path / "rows.json"
    args = ["--device", "cpu", "--tiny", "--batch-sizes", "1,2", "--new-tokens", "6", "--crops", "1"]
    assert main([*args, "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert {(row["model"], row["batch"]) for row in rows} == {(m, b) for m in ("got-ocr2", "janus-pro") for b in (1, 2)}
    assert all(row["new_tokens"] == 6 and row["engine_pages_per_s"] > 0 for row in rows)


def test_bench_without_cuda_says_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.gpu_throughput import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main([]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("model_name", [GOT, JANUS])
def test_engines_on_cuda(make_engine: Any, model_name: str) -> None:
    engine = make_engine(model_name, model_device="cuda")
    info = engine.info()
    assert info.device == "cuda" and info.extra["dtype"] in ("bfloat16", "float16")
    with ThreadPoolExecutor(4) as pool:
        pages = list(
            pool.map(
                lambda n: engine.recognize(
                    Image.new("RGB", (1240, 1754), "white"), page_number=n, dpi=150, languages=["en"], timeout=60
                ),
                [1, 2, 3, 4],
            )
        )
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert torch.cuda.memory_allocated() > 0


@pytest.mark.gpu
@needs_cuda
def test_real_out_of_memory_on_cuda_falls_back(make_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ablage.errors import EngineFallback

    engine = make_engine(GOT, model_device="cuda")
    real = engine._generate

    def allocate_too_much(batch: Any, max_new_tokens: int) -> Any:
        torch.empty(1 << 50, dtype=torch.uint8, device="cuda")  # a petabyte: a real allocator failure
        return real(batch, max_new_tokens)

    monkeypatch.setattr(engine, "_generate", allocate_too_much)
    with pytest.raises(EngineFallback):
        engine.recognize(Image.new("RGB", (620, 877), "white"), page_number=1, dpi=75, languages=["en"], timeout=60)
    assert engine.info().loaded
