"""Docling: documents read by their structure — DOCX, XLSX, PPTX and HTML always, PDFs by their text layer, and
scans and images with layout and table models when ``DOCLING_ARTIFACTS_PATH`` holds them.

Without the models, PDFs go through Docling's model-free native pipeline: one text item per line, in content
order, with no headings or tables; this project's own layout heuristics then group the lines as they do for
any text layer. With the models, the standard pipeline finds blocks, reading order and table structure, and
runs Tesseract on pages without text.
"""

from __future__ import annotations

import importlib.metadata
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ablage.engines.base import EngineHost, EngineInfo, EngineInput
from ablage.engines.checkpoints import missing_checkpoint_files
from ablage.engines.languages import ISO_639_2
from ablage.errors import EngineNotInstalled, EngineUnavailable, InvalidDocument, ProcessingTimeout
from ablage.results.layout import group_lines, mark_titles, split_line
from ablage.results.model import BBox, Block, BlockKind, Line, Page, PageSource
from ablage.settings import Settings
from ablage.tessdata import tessdata_dir

# Docling looks for each model in <artifacts>/<org>--<repo>.
LAYOUT_MODEL = "docling-project--docling-layout-heron"
TABLE_MODEL = "docling-project--docling-models"
LANGUAGES = ["de", "en"]

OFFICE_KINDS = frozenset({"docx", "xlsx", "pptx", "html"})
IMAGE_KINDS = frozenset({"png", "jpeg", "tiff", "webp"})

_KINDS: dict[str, BlockKind] = {
    "title": BlockKind.title,
    "section_header": BlockKind.title,
    "table": BlockKind.table,
    "document_index": BlockKind.table,
    "list_item": BlockKind.list,
    "picture": BlockKind.figure,
    "chart": BlockKind.figure,
    "page_header": BlockKind.header,
    "page_footer": BlockKind.footer,
    "caption": BlockKind.caption,
    "footnote": BlockKind.footer,
}


def missing_models(artifacts: Path) -> list[Path]:
    """What the layout model (a transformers checkpoint) and TableFormer need in ``DOCLING_ARTIFACTS_PATH``."""
    missing = missing_checkpoint_files(artifacts / LAYOUT_MODEL)
    tableformer = artifacts / TABLE_MODEL / "model_artifacts" / "tableformer"
    if not tableformer.is_dir():
        missing.append(tableformer)
    return missing


class DoclingEngine:
    name = "docling"
    reads = EngineInput.documents
    host = EngineHost.page_process

    def __init__(self, settings: Settings) -> None:
        try:
            from docling.document_converter import DocumentConverter  # noqa: F401
        except ImportError as exc:
            raise EngineNotInstalled(f"{exc} (pip install 'ablage-system[docling]')") from exc
        self._artifacts = settings.ocr.docling_artifacts_path
        if self._artifacts is not None:
            if not self._artifacts.is_dir():
                raise EngineUnavailable(f"DOCLING_ARTIFACTS_PATH {self._artifacts} is not a folder")
            missing = missing_models(self._artifacts)
            if missing:
                raise EngineUnavailable(
                    f"DOCLING_ARTIFACTS_PATH lacks {', '.join(str(path) for path in missing)}; "
                    "see `ablage models check`"
                )
        self._threads = settings.ocr.torch_threads
        self._languages = [ISO_639_2.get(code, code) for code in settings.ocr.languages]
        self._version = importlib.metadata.version("docling-slim")
        # A converter caches its pipelines and their models; one per worker thread, as they are not shared safely.
        self._local = threading.local()

    @property
    def with_models(self) -> bool:
        return self._artifacts is not None

    def info(self) -> EngineInfo:
        detail = (
            f"layout and table models from {self._artifacts}"
            if self._artifacts
            else "no layout models (DOCLING_ARTIFACTS_PATH unset): office files and born-digital PDFs only"
        )
        return EngineInfo(name=self.name, version=self._version, languages=LANGUAGES, loaded=True, detail=detail)

    def warm_up(self, languages: Sequence[str]) -> None:
        self._converter()

    def accepts(self, kind: str) -> bool:
        return kind in OFFICE_KINDS or kind == "pdf" or (kind in IMAGE_KINDS and self.with_models)

    def _converter(self) -> Any:
        converter = getattr(self._local, "converter", None)
        if converter is None:
            converter = self._local.converter = self._build()
        return converter

    def _build(self) -> Any:
        from docling.datamodel.accelerator_options import AcceleratorOptions
        from docling.datamodel.backend_options import HTMLBackendOptions
        from docling.datamodel.base_models import InputFormat
        from docling.datamodel.pipeline_options import (
            NativePdfPipelineOptions,
            PdfPipelineOptions,
            TesseractOcrOptions,
        )
        from docling.document_converter import (
            DocumentConverter,
            HTMLFormatOption,
            ImageFormatOption,
            NativePdfFormatOption,
            PdfFormatOption,
        )

        formats = [InputFormat.DOCX, InputFormat.XLSX, InputFormat.PPTX, InputFormat.HTML, InputFormat.PDF]
        options: dict[Any, Any]
        if self._artifacts is None:
            native = NativePdfPipelineOptions(parser_threads=1)
            options = {InputFormat.PDF: NativePdfFormatOption(pipeline_options=native)}
        else:
            standard = PdfPipelineOptions(
                artifacts_path=self._artifacts,
                do_ocr=True,
                do_table_structure=True,
                # The tessdata wheels' folder, as the Tesseract engine uses: tesserocr's default does not list them.
                ocr_options=TesseractOcrOptions(lang=self._languages, path=str(tessdata_dir())),
                accelerator_options=AcceleratorOptions(num_threads=self._threads, device="cpu"),
                enable_remote_services=False,
            )
            options = {
                InputFormat.PDF: PdfFormatOption(pipeline_options=standard),
                InputFormat.IMAGE: ImageFormatOption(pipeline_options=standard),
            }
            formats.append(InputFormat.IMAGE)
        # An uploaded web page must not make the service fetch anything: not a URL (SSRF), not a local file.
        # Off by default in this Docling release; pinned so that a release changing the default changes nothing.
        html = HTMLBackendOptions(enable_remote_fetch=False, enable_local_fetch=False)
        options[InputFormat.HTML] = HTMLFormatOption(backend_options=html)
        return DocumentConverter(allowed_formats=formats, format_options=options)

    def convert(
        self, path: Path, kind: str, *, pages: Sequence[int], languages: Sequence[str], timeout: float
    ) -> list[Page]:
        if not self.accepts(kind):
            raise EngineUnavailable(
                f"the Docling engine reads {kind} files only with its layout models (DOCLING_ARTIFACTS_PATH)"
            )
        from docling.datamodel.base_models import ConversionStatus

        started = time.monotonic()
        paginated = kind not in OFFICE_KINDS
        page_range = (min(pages), max(pages)) if paginated and pages else (1, 2**31 - 1)
        result = self._converter().convert(path, raises_on_error=False, page_range=page_range)
        if result.status not in (ConversionStatus.SUCCESS, ConversionStatus.PARTIAL_SUCCESS):
            reasons = "; ".join(error.error_message for error in result.errors)[:300] or str(result.status)
            raise InvalidDocument(f"Docling could not convert the document: {reasons}")
        if time.monotonic() - started > timeout:
            raise ProcessingTimeout("the conversion finished after the processing timeout ran out")
        document = result.document
        if not paginated:
            return [self._unpaginated_page(document)]
        source = PageSource.ocr if kind in IMAGE_KINDS else PageSource.text_layer
        return [self._page(document, number, source) for number in pages if number in document.pages]

    def _blocks(self, items: Iterable[Any], to_box: Any) -> list[Block]:
        from docling_core.types.doc import TableItem

        blocks: list[Block] = []
        for item in items:
            label = str(getattr(item.label, "value", item.label))
            kind = _KINDS.get(label, BlockKind.text)
            box = to_box(item)
            if isinstance(item, TableItem):
                rows = [[cell.text for cell in row] for row in item.data.grid]
                lines = [_line(" | ".join(row), box) for row in rows if any(cell.strip() for cell in row)]
                blocks.append(Block(bbox=box, kind=BlockKind.table, lines=lines, rows=rows or None))
                continue
            text = getattr(item, "text", "") or ""
            if not text.strip() and kind is not BlockKind.figure:
                continue
            blocks.append(Block(bbox=box, kind=kind, lines=[_line(text, box)] if text.strip() else []))
        return blocks

    def _page(self, document: Any, number: int, source: PageSource) -> Page:
        size = document.pages[number].size
        width, height = round(size.width), round(size.height)

        def to_box(item: Any) -> BBox:
            prov = next((p for p in item.prov if p.page_no == number), None)
            if prov is None:
                return (0, 0, 0, 0)
            box = prov.bbox.to_top_left_origin(page_height=size.height)
            return (
                max(0, round(box.l)),
                max(0, round(box.t)),
                min(width, round(box.r)),
                min(height, round(box.b)),
            )

        items = [item for item, _level in document.iterate_items(page_no=number) if item.prov]
        blocks = self._blocks(items, to_box)
        if not self.with_models:
            # The native pipeline yields loose lines; group them like any text layer.
            lines = [line for block in blocks for line in block.lines]
            blocks = group_lines(lines)
        page = Page(
            number=number,
            width=width,
            height=height,
            dpi=72,
            source=source,
            engine=self.name,
            confidence=1.0 if blocks else 0.0,
            blocks=blocks,
        )
        return mark_titles(page) if not self.with_models else page

    def _unpaginated_page(self, document: Any) -> Page:
        items = [item for item, _level in document.iterate_items()]
        blocks = self._blocks(items, lambda _item: (0, 0, 0, 0))
        return Page(
            number=1,
            width=0,
            height=0,
            dpi=72,
            source=PageSource.document,
            engine=self.name,
            confidence=1.0 if blocks else 0.0,
            blocks=blocks,
        )

    def close(self) -> None:
        self._local = threading.local()


def _line(text: str, bbox: BBox) -> Line:
    return split_line(text, bbox, 1.0)
