"""Ablage-System: the library both OCR services are built from."""

__version__ = "0.1.0"
