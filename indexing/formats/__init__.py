"""Format identification against PRONOM's signatures (``FormatIdentifier`` adapters).

``FidoIdentifier`` runs fido (the Open Preservation Foundation's identifier, which
ships PRONOM's signature files) in its own virtualenv, as a subprocess: one run for
many files, JSON across the boundary. Matching by extension is off, so a file is
named by its bytes or reported unidentified.
"""

from indexing.formats.fido import FidoIdentifier

__all__ = ["FidoIdentifier"]
