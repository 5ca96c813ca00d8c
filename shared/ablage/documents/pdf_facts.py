"""What a PDF says about itself that its archive copy cannot keep: digital signatures (a re-written PDF no
longer matches the signed bytes) and encryption with restricted permissions (the copy is written unrestricted,
the original stays byte-identical in storage)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ablage.pdfium import PDFIUM_LOCK
from ablage.results.model import Original

# PDF 32000-1, table 22: bit 4 allows modifying the contents.
_MODIFY = 1 << 3


@dataclass(frozen=True)
class PdfFacts:
    signatures: int
    encrypted: bool
    changes_allowed: bool


def pdf_facts(path: Path) -> PdfFacts:
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(path)
        try:
            signatures = max(0, pdfium_c.FPDF_GetSignatureCount(pdf.raw))
            encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1
            permissions = pdfium_c.FPDF_GetDocPermissions(pdf.raw) & 0xFFFFFFFF
        finally:
            pdf.close()
    return PdfFacts(signatures, encrypted, bool(permissions & _MODIFY) or not encrypted)


def original_of(facts: PdfFacts) -> Original:
    """The result's ``original``: what the archive copy cannot keep, said plainly."""
    notes = []
    if facts.signatures:
        notes.append(
            f"the original carries {facts.signatures} digital signature(s); the searchable PDF is a new file and "
            "carries none: the signed original is kept byte-identical in storage for as long as the job"
        )
    if facts.encrypted and not facts.changes_allowed:
        notes.append(
            "the original's permissions forbid changes; it is kept unchanged, and the searchable PDF is a new, "
            "unencrypted copy of its pages"
        )
    return Original(
        signed=facts.signatures > 0,
        signatures=facts.signatures,
        encrypted=facts.encrypted,
        changes_allowed=facts.changes_allowed,
        notes=notes,
    )
