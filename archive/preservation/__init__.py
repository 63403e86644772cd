"""PREMIS 3.0 preservation metadata as XML (lxml), for AIPs (E-ARK CSIP 2.0.4, TT05).

``premis.render`` writes a ``Premis`` (``archive.domain.preservation``) and
``premis.validate`` checks a document against the official PREMIS 3.0 schema, shipped
in ``schemas/premis-v3-0.xsd`` (the Library of Congress's schema of 18 January 2016;
nothing is fetched). Guarantee: every document ``render`` returns validates.
"""

from archive.preservation.premis import SCHEMA_FILE, render, schema_bytes, validate

__all__ = ["SCHEMA_FILE", "render", "schema_bytes", "validate"]
