"""Reading deposited documents safely: inspection, text layer, OCR, thumbnails.

``inspect_document`` is cheap and runs in the deposit path. Everything that parses
page content runs through ``extract_document``, in a sandboxed subprocess with
memory, CPU, wall-clock, page and pixel limits.
"""

from indexing.extraction.inspection import DocumentInfo, inspect_document, sniff_media_type
from indexing.extraction.limits import ExtractionLimits, ExtractionOutcome, LimitHit
from indexing.extraction.ocr import ocr_image
from indexing.extraction.sandbox import extract_document, warm_up
from indexing.extraction.textlayer import Word, extract_text_layer, page_words
from indexing.extraction.thumbnails import thumbnail
from indexing.extraction.zygote_client import stop_zygote

__all__ = [
    "DocumentInfo",
    "ExtractionLimits",
    "ExtractionOutcome",
    "LimitHit",
    "Word",
    "extract_document",
    "extract_text_layer",
    "inspect_document",
    "ocr_image",
    "page_words",
    "sniff_media_type",
    "stop_zygote",
    "thumbnail",
    "warm_up",
]
