"""The result formats the API serves, by name, with their media types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ablage.results.alto import render_alto
from ablage.results.hocr import render_hocr
from ablage.results.model import OcrResult


class ResultFormat(StrEnum):
    json = "json"
    text = "text"
    markdown = "markdown"
    hocr = "hocr"
    alto = "alto"
    pdf = "pdf"


@dataclass(frozen=True)
class Artifact:
    filename: str
    media_type: str
    render: Callable[[OcrResult], str] | None
    """None for the searchable PDF, which is built from the page images as they are recognised."""


ARTIFACTS: dict[ResultFormat, Artifact] = {
    ResultFormat.json: Artifact("result.json", "application/json", lambda r: r.model_dump_json()),
    ResultFormat.text: Artifact("text.txt", "text/plain; charset=utf-8", lambda r: r.text),
    ResultFormat.markdown: Artifact("result.md", "text/markdown; charset=utf-8", lambda r: r.markdown),
    ResultFormat.hocr: Artifact("result.hocr", "text/vnd.hocr+html; charset=utf-8", render_hocr),
    ResultFormat.alto: Artifact("alto.xml", "application/alto+xml; charset=utf-8", render_alto),
    ResultFormat.pdf: Artifact("searchable.pdf", "application/pdf", None),
}
