"""Turning deposited files into searchable text: extraction, OCR, signatures and search adapters."""
