"""Surya 0.22: text-line detection in-process (a small torch model from ``SURYA_MODEL_DIR``), and full-page
recognition — text, layout blocks, reading order and tables in one answer — from Surya's OCR model behind an
OpenAI-compatible server (``SURYA_INFERENCE_URL``: llama.cpp's ``llama-server`` on CPU, vLLM on GPU).

Why a server: since 0.20 Surya recognises through that server only; it batches the requests of every worker
and replica in its parallel slots, and keeps the 1–2 GB recognition model out of each worker process.
The engine never starts or downloads anything: a missing folder or an unreachable server is reported within
seconds as ``EngineUnavailable``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import time
from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from ablage.engines.base import EngineHost, EngineInfo, EngineInput
from ablage.engines.batcher import MicroBatcher
from ablage.engines.checkpoints import missing_checkpoint_files
from ablage.errors import EngineNotInstalled, EngineUnavailable, ProcessingTimeout
from ablage.metrics import BATCH_SIZE, PAGE_SECONDS
from ablage.results.layout import split_line
from ablage.results.model import BBox, Block, BlockKind, Line, PageSource, mean_confidence
from ablage.results.model import Page as ResultPage
from ablage.settings import Settings

DETECTION_DIR = "text_detection"
LANGUAGES = ["de", "en"]
_PROBE_TIMEOUT = 3.0
# Pages that arrive within this window from different workers share one detector pass and one round of
# recognition requests; short against a page's seconds of recognition.
_BATCH_WAIT = 0.05

_KINDS: dict[str, BlockKind] = {
    "SectionHeader": BlockKind.title,
    "Title": BlockKind.title,
    "Table": BlockKind.table,
    "TableOfContents": BlockKind.table,
    "Form": BlockKind.table,
    "ListGroup": BlockKind.list,
    "Picture": BlockKind.figure,
    "Figure": BlockKind.figure,
    "Diagram": BlockKind.figure,
    "ChemicalBlock": BlockKind.figure,
    "PageHeader": BlockKind.header,
    "PageFooter": BlockKind.footer,
    "Footnote": BlockKind.footer,
    "Caption": BlockKind.caption,
}
# Elements after which the model's HTML starts a new line of text.
_LINE_BREAKS = ("p", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre")


@dataclass
class _Recognized:
    lines: list[BBox]
    """Text lines the detector found, in page pixels."""
    blocks: list[Any]
    """Surya's blocks (label, box, HTML, confidence) in reading order."""


def missing_weights(model_dir: Path) -> list[Path]:
    """What ``SURYA_MODEL_DIR`` lacks for the detection model."""
    return missing_checkpoint_files(model_dir / DETECTION_DIR)


def _probe(url: str) -> None:
    base = url.rstrip("/").removesuffix("/v1")
    try:
        httpx.get(f"{base}/health", timeout=_PROBE_TIMEOUT).raise_for_status()
    except httpx.HTTPError as exc:
        raise EngineUnavailable(
            f"Surya's recognition server at {url} does not answer /health ({type(exc).__name__})"
        ) from None


def html_lines(html: str) -> tuple[list[str], list[list[str]] | None]:
    """The lines of a block's HTML, and its rows when it is a table."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    rows = [
        [cell.get_text(" ", strip=True) for cell in tr.find_all(["td", "th"])] for tr in soup.find_all("tr")
    ] or None
    if rows:
        return [" | ".join(row) for row in rows if any(row)], rows
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_LINE_BREAKS):
        tag.insert_after("\n")
    text = soup.get_text()
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()], None


def _center_in(box: BBox, area: BBox) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return area[0] <= cx <= area[2] and area[1] <= cy <= area[3]


def place_lines(texts: list[str], block: BBox, detected: list[BBox], confidence: float) -> list[Line]:
    """Line boxes from the detector where it found as many lines in the block as the text has; otherwise the
    block's height is shared out evenly, which keeps every word on the page and in the block."""
    inside = sorted((box for box in detected if _center_in(box, block)), key=lambda box: (box[1], box[0]))
    if len(inside) == len(texts):
        return [split_line(text, box, confidence) for text, box in zip(texts, inside, strict=True)]
    x0, y0, x1, y1 = block
    step = (y1 - y0) / max(len(texts), 1)
    return [
        split_line(text, (x0, round(y0 + i * step), x1, round(y0 + (i + 1) * step)), confidence)
        for i, text in enumerate(texts)
    ]


class SuryaEngine:
    name = "surya"
    reads = EngineInput.pages
    host = EngineHost.page_process

    def __init__(self, settings: Settings) -> None:
        # Checked first, without importing it (torch): a missing library is for good, a missing setting is not.
        if importlib.util.find_spec("surya") is None:
            raise EngineNotInstalled("surya-ocr is not installed (pip install 'ablage-system[surya]')")
        model_dir = settings.ocr.surya_model_dir
        if model_dir is None:
            raise EngineUnavailable("SURYA_MODEL_DIR is not set; see `ablage models check`")
        missing = missing_weights(model_dir)
        if missing:
            raise EngineUnavailable(f"Surya's detection model is incomplete: missing {', '.join(map(str, missing))}")
        url = settings.ocr.surya_inference_url
        if not url:
            raise EngineUnavailable("SURYA_INFERENCE_URL is not set (Surya recognises through that server)")
        _probe(url)
        try:
            import torch
            from surya.settings import settings as surya_settings
        except ImportError as exc:
            raise EngineNotInstalled(f"{exc} (pip install 'ablage-system[surya]')") from exc
        # Surya reads its configuration once from the environment; these keep it offline and attached.
        surya_settings.SURYA_INFERENCE_URL = url
        surya_settings.SURYA_INFERENCE_AUTOSTART = False
        surya_settings.SURYA_MODEL_CHECKPOINT = settings.ocr.surya_model_name
        surya_settings.SURYA_INFERENCE_TIMEOUT_SECONDS = settings.ocr.processing_timeout
        surya_settings.DISABLE_TQDM = True
        surya_settings.TORCH_DEVICE = "cpu"
        surya_settings.MODEL_CACHE_DIR = str(model_dir)
        from surya.detection import DetectionPredictor
        from surya.inference import SuryaInferenceManager
        from surya.inference.backends.spawn import SpawnError
        from surya.recognition import RecognitionPredictor

        torch.set_num_threads(settings.ocr.torch_threads)
        self._detector = DetectionPredictor.local(
            checkpoint=str(model_dir / DETECTION_DIR), device="cpu", dtype=torch.float32
        )
        manager = SuryaInferenceManager(method="llamacpp")
        try:
            manager.start()
        except SpawnError as exc:
            raise EngineUnavailable(f"Surya's recognition server at {url}: {exc}") from None
        self._recognizer = RecognitionPredictor(manager)
        self._url = url
        self._version = importlib.metadata.version("surya-ocr")
        # One detector forward pass for the pages of all workers, and their recognition requests sent together
        # (the server schedules them in its parallel slots); the batcher's thread is the only one using torch.
        self._batcher: MicroBatcher[Image.Image, _Recognized] = MicroBatcher(
            self._run_batch,
            max_batch=settings.ocr.workers,
            max_cost=settings.ocr.workers,
            max_wait=_BATCH_WAIT,
            is_oom=lambda _exc: False,
            name="surya-batcher",
        )

    def info(self) -> EngineInfo:
        return EngineInfo(
            name=self.name,
            version=self._version,
            languages=LANGUAGES,
            loaded=True,
            detail=f"detection in-process, recognition at {self._url}",
        )

    def warm_up(self, languages: Sequence[str]) -> None:
        pass  # the detector loaded in __init__; the server keeps its own model warm

    def _run_batch(self, images: Sequence[Image.Image]) -> list[_Recognized]:
        BATCH_SIZE.labels(self.name).observe(len(images))
        # The detector resizes its inputs in place.
        detections = self._detector([image.copy() for image in images])
        pages = self._recognizer(list(images), full_page=True)
        results: list[_Recognized] = []
        for detection, page in zip(detections, pages, strict=True):
            lines = [
                (max(0, round(x0)), max(0, round(y0)), round(x1), round(y1))
                for x0, y0, x1, y1 in (polygon.bbox for polygon in detection.bboxes)
            ]
            results.append(_Recognized(lines=lines, blocks=sorted(page.blocks, key=lambda b: b.reading_order)))
        return results

    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        dpi: int,
        languages: Sequence[str],
        timeout: float | None = None,
    ) -> ResultPage:
        started = time.monotonic()
        rgb = image.convert("RGB")
        future = self._batcher.submit(rgb, 1)
        try:
            recognized = future.result(timeout=timeout)
        except FutureTimeout:
            future.cancel()
            raise ProcessingTimeout(f"page {page_number} took longer than the processing timeout") from None
        PAGE_SECONDS.labels(self.name).observe(time.monotonic() - started)
        if not recognized.blocks:
            # Surya turns failed requests into empty pages; an empty page from a server that is down is not a
            # blank page, and the job must be retried rather than succeed without its text.
            try:
                _probe(self._url)
            except EngineUnavailable as exc:
                raise ConnectionError(exc.detail) from None
        blocks = [
            block for block in (self._block(item, recognized.lines, rgb.size) for item in recognized.blocks) if block
        ]
        words = [word for block in blocks for line in block.lines for word in line.words]
        return ResultPage(
            number=page_number,
            width=rgb.size[0],
            height=rgb.size[1],
            dpi=dpi,
            source=PageSource.ocr,
            engine=self.name,
            confidence=mean_confidence(words),
            blocks=blocks,
        )

    def _block(self, item: Any, detected: list[BBox], size: tuple[int, int]) -> Block | None:
        x0, y0, x1, y1 = item.bbox
        box: BBox = (max(0, round(x0)), max(0, round(y0)), min(size[0], round(x1)), min(size[1], round(y1)))
        kind = _KINDS.get(item.label, BlockKind.text)
        if item.error or (item.skipped and kind is not BlockKind.figure):
            return None
        texts, rows = html_lines(item.html) if item.html else ([], None)
        if not texts and kind is not BlockKind.figure:
            return None
        confidence = min(max(float(item.confidence or 0.0), 0.0), 1.0)
        lines = place_lines(texts, box, detected, confidence)
        return Block(bbox=box, kind=BlockKind.table if rows else kind, lines=lines, rows=rows)

    def close(self) -> None:
        self._batcher.close()
