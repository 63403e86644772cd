"""Reading deposited documents safely: inspection, text layer, OCR, thumbnails.

``inspect_document`` is cheap and runs in the deposit path. Everything that parses
page content runs through ``extract_document``, in a sandboxed subprocess with
memory, CPU, wall-clock, page and pixel limits.
"""

from indexing.extraction.inspection import DocumentInfo, inspect_document, sniff_media_type

__all__ = ["DocumentInfo", "inspect_document", "sniff_media_type"]
