"""The OCR result model and its renderers (text, Markdown, hOCR, ALTO)."""

from ablage.results.model import Block, BlockKind, EngineRef, Line, OcrResult, Page, PageSource, Word

__all__ = ["Block", "BlockKind", "EngineRef", "Line", "OcrResult", "Page", "PageSource", "Word"]
