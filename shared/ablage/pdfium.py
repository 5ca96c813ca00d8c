"""PDFium is not thread-safe: every call into it, from reading a document to writing the searchable PDF, must
hold this one lock of the process."""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
