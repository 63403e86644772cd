"""Reading exported files back in tests: XLSX with openpyxl, PDF with pdfplumber and
poppler's pdftoppm (an outside renderer, not our own code)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pdfplumber
import pytest
from PIL import Image


def xlsx_table(content: bytes, header_first: str) -> list[list[str]]:
    """The rows from the header row (the one starting with ``header_first``) down."""
    sheet: Any = openpyxl.load_workbook(io.BytesIO(content)).active
    values = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(values) if row and row[0] == header_first)
    return values[start:]


def pdf_text(content: bytes, *, first_page_only: bool = False) -> str:
    """The PDF's text as pdfplumber reads it: every page, or only the first."""
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        pages = pdf.pages[:1] if first_page_only else pdf.pages
        return "\n".join(page.extract_text() or "" for page in pages)


def first_page_png(content: bytes, directory: Path) -> Image.Image:
    """The PDF's first page rendered by poppler's pdftoppm."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = directory / "export.pdf"
    source.write_bytes(content)
    command = ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*command, str(source), str(directory / "page")], check=True, timeout=60)
    return Image.open(directory / "page.png").convert("L")


def dark_rows(image: Image.Image) -> int:
    """How many pixel rows of the page hold ink (text or rules)."""
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    return sum(any(int(pixels[x, y]) < 128 for x in range(0, width, 2)) for y in range(height))  # type: ignore[arg-type]
