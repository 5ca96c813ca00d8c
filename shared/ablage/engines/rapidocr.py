"""RapidOCR (PP-OCRv6 detection and recognition on onnxruntime), with the models its wheel ships.

The angle classifier stays off: with it, German lines came out as garbage in measurements, and whole pages
are turned upright before OCR anyway (``ablage.documents.orientation``).
"""

from __future__ import annotations

import importlib.metadata
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from ablage.engines.base import EngineHost, EngineInfo, EngineInput
from ablage.engines.word_gaps import Glyph, ink_columns, split_words
from ablage.errors import EngineNotInstalled, ProcessingTimeout
from ablage.results.layout import group_lines, ocr_page
from ablage.results.model import BBox, Line, Page, Word, union_bbox
from ablage.settings import Settings

# The multilingual recogniser reads Latin script with German umlauts and ß; these are the languages this
# project measures it on (tests/quality).
LANGUAGES = ["de", "en"]


def _bbox(points: Any) -> BBox:
    xs = [float(point[0]) for point in points]
    ys = [float(point[1]) for point in points]
    return (max(0, round(min(xs))), max(0, round(min(ys))), round(max(xs)), round(max(ys)))


def _glyphs(text: str, chars: Any, boxes: list[BBox] | None = None) -> list[Glyph] | None:
    """The recognised characters with their positions and the text's spaces; None when the two disagree."""
    glyphs: list[Glyph] = []
    rest = iter(text)
    boxes = boxes if boxes is not None else [_bbox(points) for _, _, points in chars]
    for (char, confidence, _), box in zip(chars, boxes, strict=True):
        if not char.strip():
            continue
        space = False
        for expected in rest:
            if expected.isspace():
                space = bool(glyphs)
                continue
            if expected != char:
                return None
            break
        else:
            return None
        glyphs.append(Glyph(char, box[0], box[2], float(confidence), space))
    return glyphs if "".join(g.text for g in glyphs) == "".join(text.split()) else None


def _spread(text: str, box: BBox, confidence: float) -> list[Word]:
    """The text's words laid over the line box by their length: for a line whose character positions do not
    match its text, which is kept rather than lost."""
    tokens = text.split()
    total = sum(len(token) for token in tokens) + max(0, len(tokens) - 1)
    x0, top, x1, bottom = box
    words, start = [], 0
    for token in tokens:
        left = x0 + (x1 - x0) * start // max(1, total)
        right = x0 + (x1 - x0) * (start + len(token)) // max(1, total)
        words.append(Word(bbox=(left, top, max(left + 1, right), bottom), text=token, confidence=confidence))
        start += len(token) + 1
    return words


def _words(grey: np.ndarray, box: BBox, text: str, chars: Any, confidence: float = 1.0) -> list[Word]:
    boxes = [_bbox(points) for _, _, points in chars]
    glyphs = _glyphs(text, chars, boxes)
    if not glyphs:
        return _spread(text, box, round(confidence, 4))
    top = min(box[1], *(char_box[1] for char_box in boxes))
    bottom = max(box[3], *(char_box[3] for char_box in boxes))
    left = min(box[0], glyphs[0].x0)
    right = max(box[2], glyphs[-1].x1)
    line_box = (left, top, right, bottom)
    return split_words(glyphs, ink_columns(grey[top:bottom, left:right]), line_box)


class RapidOcrEngine:
    name = "rapidocr"
    reads = EngineInput.pages
    host = EngineHost.page_process

    def __init__(self, settings: Settings) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise EngineNotInstalled(f"{exc} (pip install 'ablage-system[rapidocr]')") from exc
        self._factory = RapidOCR
        self._params = {
            "Global.use_cls": False,
            "Global.return_word_box": True,
            # Character positions, from which words are cut at the image's gaps (ablage.engines.word_gaps).
            "Global.return_single_char_box": True,
            "Global.log_level": "warning",
            # Parallelism comes from WORKERS; one thread per inference keeps the cores from being oversubscribed.
            "EngineConfig.onnxruntime.intra_op_num_threads": settings.ocr.onnx_threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        self._version = importlib.metadata.version("rapidocr")
        self._local = threading.local()
        self._engine()  # fail at start-up, not on the first page, if the bundled models are missing

    def _engine(self) -> Any:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = self._factory(params=self._params)
        return engine

    def info(self) -> EngineInfo:
        return EngineInfo(name=self.name, version=self._version, languages=list(LANGUAGES), loaded=True)

    def warm_up(self, languages: Sequence[str]) -> None:
        self._engine()

    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        dpi: int,
        languages: Sequence[str],
        timeout: float | None = None,
    ) -> Page:
        if timeout is not None and timeout <= 0:
            raise ProcessingTimeout(f"no time left for page {page_number}")
        output = self._engine()(np.asarray(image.convert("RGB")))
        grey = np.asarray(image.convert("L"))
        lines: list[Line] = []
        # Line text is rebuilt from the words, so that it and the word boxes always agree.
        for box, score, text, chars in zip(
            output.boxes if output.boxes is not None else [],
            output.scores or (),
            output.txts or (),
            output.word_results or (),
            strict=False,
        ):
            parsed = _words(grey, _bbox(box), text, chars, float(score))
            if not parsed:
                continue
            lines.append(
                Line(
                    bbox=union_bbox([_bbox(box), *(w.bbox for w in parsed)]),
                    text=" ".join(w.text for w in parsed),
                    confidence=round(float(score), 4),
                    words=parsed,
                )
            )
        return ocr_page(self.name, page_number, image.size, dpi, group_lines(lines))

    def close(self) -> None:
        self._local = threading.local()
