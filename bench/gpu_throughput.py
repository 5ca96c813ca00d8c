"""GOT-OCR2 and Janus-Pro pages per second on CUDA by batch size, and the engine's overhead over a bare
``model.generate`` on the same pages.

    python -m bench.gpu_throughput [--models got-ocr2,janus-pro] [--batch-sizes 1,4,16,32] [--new-tokens 400]
    python -m bench.gpu_throughput --device cpu --tiny      # a seconds-long run of the same code (tests)

The models are the default configs' full-size architectures with random weights in bf16, built on the GPU,
so no checkpoint is needed. Each page is an A4 sheet at 300 dpi (GOT-OCR2 cuts it into tiles) and generates
exactly ``--new-tokens`` tokens: the text is meaningless, the compute is a real page's. "engine" is the
service's path (worker threads preprocess, the micro-batcher collects, one generate per batch, decoding, the
result model); "generate" is the same batch, preprocessed beforehand, through ``model.generate`` alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

A4_300_DPI = (2480, 3508)


def _page(size: tuple[int, int]) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    step = max(12, size[1] // 60)
    for row, y in enumerate(range(step * 3, size[1] - step * 3, step)):
        draw.text(
            (size[0] // 12, y), f"Position {row:02d}  Leistung und Lieferung  {row * 12.5:8.2f} EUR", fill="black"
        )
    return image


def _engine(name: str, model: Any, folder: Path, args: argparse.Namespace, max_batch: int) -> Any:
    from ablage.engines.vlm import DEFAULT_MODELS
    from ablage.engines.vlm.got_ocr2 import GotOcr2Engine
    from ablage.engines.vlm.janus import JanusProEngine
    from ablage.settings import ModelSettings, OcrSettings, Settings
    from safetensors.torch import save_file

    # The weights live on the GPU already; the folder holds the config, the processor and an empty weights
    # file so that the engine's checks pass.
    model.config.save_pretrained(folder)
    save_file({}, str(folder / "model.safetensors"))
    base = GotOcr2Engine if name == "got-ocr2" else JanusProEngine

    class Prebuilt(base):  # type: ignore[misc, valid-type]
        def _load_model(self) -> Any:
            return model

        def _stopping_criteria(self, batch: Any, prompt_length: int) -> Any:
            from transformers import StoppingCriteriaList

            return StoppingCriteriaList()  # a fixed token count per page: no early stop on loops

    settings = Settings(
        ocr=OcrSettings(model_name=DEFAULT_MODELS[name]),
        model=ModelSettings(
            model_dir=folder,
            model_device=args.device,
            model_batch_size=max_batch,
            model_batch_tokens=10**9,
            model_batch_wait=0.05,
            model_max_new_tokens=args.new_tokens,
            model_max_crops=args.crops,
        ),
    )
    engine = Prebuilt(settings)
    if not engine.wait_loaded(600):
        raise RuntimeError(f"{name} did not load: {engine.info().detail}")
    return engine


def bench_model(name: str, args: argparse.Namespace, sizes: list[int], deadline: float) -> list[dict[str, Any]]:
    import torch

    from bench.vlm_models import got_ocr2, janus, random_model

    config, processor = (got_ocr2 if name == "got-ocr2" else janus)(tiny=args.tiny)
    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    model = random_model(config, processor, device=args.device, dtype=dtype)
    model.generation_config.min_new_tokens = args.new_tokens  # no early end of sequence either
    page = _page(A4_300_DPI if not args.tiny else (620, 877))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        processor.save_pretrained(tmp)
        engine = _engine(name, model, Path(tmp), args, max(sizes))
        try:
            for size in sizes:
                if time.monotonic() > deadline:
                    print(f"{name}: time budget spent; batch size {size} and larger skipped", file=sys.stderr)
                    break
                rows.append(_measure(name, engine, model, page, size, args))
                print(json.dumps(rows[-1]), file=sys.stderr)
        finally:
            engine.close()
    del model
    if args.device == "cuda":
        torch.cuda.empty_cache()
    return rows


def _measure(
    name: str, engine: Any, model: Any, page: Image.Image, size: int, args: argparse.Namespace
) -> dict[str, Any]:
    import torch

    assert engine._batcher is not None
    engine._batcher.limit = size  # each batch closes as soon as it is full
    pages = size * args.rounds

    def sync() -> None:
        if args.device == "cuda":
            torch.cuda.synchronize()

    def read(number: int) -> Any:
        return engine.recognize(page, page_number=number, dpi=300, languages=["en"], timeout=None)

    with ThreadPoolExecutor(size, initializer=engine.warm_up, initargs=(["en"],)) as pool:
        list(pool.map(read, range(1, size + 1)))  # warm-up at this batch size
        sync()
        started = time.perf_counter()
        list(pool.map(read, range(1, pages + 1)))
        sync()
        engine_seconds = time.perf_counter() - started

    prepared = [engine._prepare(page, None) for _ in range(size)]
    tokenizer = engine._processor().tokenizer
    padded = tokenizer.pad({"input_ids": [p.input_ids for p in prepared]}, padding_side="left", return_tensors="pt")
    inputs = {
        "input_ids": padded["input_ids"].to(engine.device),
        "attention_mask": padded["attention_mask"].to(engine.device),
        "pixel_values": torch.cat([p.pixel_values for p in prepared]).to(engine.device, engine.dtype),
    }
    sync()
    started = time.perf_counter()
    with torch.inference_mode():
        for _ in range(args.rounds):
            output = model.generate(**inputs, do_sample=False, max_new_tokens=args.new_tokens)
    sync()
    generate_seconds = time.perf_counter() - started
    new_tokens = int(output.shape[1] - inputs["input_ids"].shape[1])
    return {
        "model": name,
        "batch": size,
        "prompt_tokens": int(inputs["input_ids"].shape[1]),
        "new_tokens": new_tokens,
        "engine_pages_per_s": round(pages / engine_seconds, 3),
        "generate_pages_per_s": round(pages / generate_seconds, 3),
        "engine_overhead_pct": round((engine_seconds / generate_seconds - 1) * 100, 1),
        "gpu_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if args.device == "cuda" else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny models (a smoke run of the code path)")
    parser.add_argument("--models", default="got-ocr2,janus-pro")
    parser.add_argument("--batch-sizes", default="1,4,16,32")
    parser.add_argument("--new-tokens", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=1, help="timed batches per batch size")
    parser.add_argument("--crops", type=int, default=6, help="GOT-OCR2 tiles per page")
    parser.add_argument("--budget", type=float, default=420, help="seconds; larger batch sizes are skipped after")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("torch is not installed: pip install '.[gpu]'", file=sys.stderr)
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print(
            "CUDA is not available here: this benchmark measures GPU throughput. Run it on a machine with an "
            "NVIDIA GPU, or use --device cpu --tiny for a smoke run of the code path.",
            file=sys.stderr,
        )
        return 2
    deadline = time.monotonic() + args.budget
    sizes = [int(size) for size in args.batch_sizes.split(",")]
    rows = [row for name in args.models.split(",") for row in bench_model(name, args, sizes, deadline)]
    header = (
        "model",
        "batch",
        "prompt_tokens",
        "new_tokens",
        "engine_pages_per_s",
        "generate_pages_per_s",
        "engine_overhead_pct",
        "gpu_memory_gib",
    )
    print("\t".join(header))
    for row in rows:
        print("\t".join(str(row[key]) for key in header))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
