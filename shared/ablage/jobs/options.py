"""A job's options, and the key that says two uploads asked for the same work."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from ablage.results.archive_pdf import PdfOutput
from ablage.results.page_image import Optimize


@dataclass(frozen=True)
class JobOptions:
    languages: tuple[str, ...]
    engine: str
    pages: tuple[int, ...]
    force_ocr: bool
    pdf_output: PdfOutput = PdfOutput.auto
    pdf_optimize: Optimize = Optimize.standard

    def key(self) -> str:
        options = asdict(self)
        # The archive options count only when they differ from the default, so jobs from before they existed
        # keep their key and their results are reused.
        if self.pdf_output is PdfOutput.auto:
            del options["pdf_output"]
        if self.pdf_optimize is Optimize.standard:
            del options["pdf_optimize"]
        canonical = json.dumps(options, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
