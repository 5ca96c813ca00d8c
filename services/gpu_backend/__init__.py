"""GPU backend: ``/api/v1/ocr``."""
