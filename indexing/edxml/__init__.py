"""edXML packages of the national document interchange: the reader and the envelope signature.

``open_package`` is the one entry point: parse safely, verify the envelope's XML
signature, decode the attachments. Either a whole
:class:`~archive.domain.edxml.EdxmlPackage` or a
:class:`~archive.domain.errors.PackageRefused` naming the part: nothing in between.
"""

from __future__ import annotations

from datetime import datetime

from archive.domain.edxml import EdxmlPackage
from indexing.edxml.reader import PackageLimits, parse_xml, read_package
from indexing.edxml.signature import verify_envelope
from indexing.signatures import TrustRoots

__all__ = ["PackageLimits", "open_package"]


def open_package(
    data: bytes, trust_roots: TrustRoots, limits: PackageLimits, *, moment: datetime | None = None
) -> EdxmlPackage:
    """Read one package (its bytes are not changed).

    Raises:
        PackageRefused: see ``indexing.edxml.reader.read_package`` and
            ``indexing.edxml.signature.verify_envelope``.
    """
    root = parse_xml(data, limits)
    signature = verify_envelope(root, trust_roots, moment=moment)
    return read_package(root, limits, signature)
