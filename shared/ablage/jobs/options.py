"""A job's options, and the key that says two uploads asked for the same work."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from ablage.engines.scripts import Script
from ablage.results.archive_pdf import PdfOutput
from ablage.results.page_image import Optimize
from ablage.results.spelling import Spelling


@dataclass(frozen=True)
class JobOptions:
    languages: tuple[str, ...]
    engine: str
    pages: tuple[int, ...]
    force_ocr: bool
    pdf_output: PdfOutput = PdfOutput.auto
    pdf_optimize: Optimize = Optimize.standard
    script: Script = Script.latin
    spelling: Spelling = Spelling.printed

    def key(self) -> str:
        options = asdict(self)
        # The archive options count only when they differ from the default, so jobs from before they existed
        # keep their key and their results are reused.
        if self.pdf_output is PdfOutput.auto:
            del options["pdf_output"]
        if self.pdf_optimize is Optimize.standard:
            del options["pdf_optimize"]
        # Likewise reading as Latin in the printed spelling, which is how every job was read before.
        if self.script is Script.latin:
            del options["script"]
        if self.spelling is Spelling.printed:
            del options["spelling"]
        canonical = json.dumps(options, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
