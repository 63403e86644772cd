"""Parse a package's XML with nothing resolved, and validate it against the package's own schemas.

The parser never loads a DTD, never expands an entity, never touches the network:
a document that declares a DOCTYPE (the carrier of every entity attack, billion laughs
included) is refused outright rather than parsed around. Schemas are the XSD files
the package ships in ``schemas/``: a ``schemaLocation`` is followed only to a file
inside that folder (a URL is taken to the shipped file of the same name, else refused),
and an ``xs:import`` or ``xs:include`` inside a schema is resolved the same way.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from lxml import etree

from archive.domain.package_checks import SCHEMA, XML, Failure

XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_XML_BYTES = 64 * 1024 * 1024  # a METS or EAD of a dossier is kilobytes; this is generous


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=False,
    )


class XmlRefused(Exception):
    """The file is not XML we accept; ``failure`` says why."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(str(failure))
        self.failure = failure


def parse(path: Path, part: str) -> Any:
    """The parsed tree of ``path`` (named ``part`` in failures), or XmlRefused."""
    if path.stat().st_size > MAX_XML_BYTES:
        raise XmlRefused(Failure(XML, part, f"is larger than {MAX_XML_BYTES} bytes"))
    head = path.read_bytes()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise XmlRefused(Failure(XML, part, "declares a DTD or entities, which a package may not carry"))
    try:
        tree = etree.fromstring(head, _parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(Failure(XML, part, f"is not well-formed XML ({exc})")) from exc
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise XmlRefused(Failure(XML, part, "declares a DTD, which a package may not carry"))
    return tree


class _ShippedSchemas(etree.Resolver):  # type: ignore[misc]
    """Resolve any schema reference to a file in the package's ``schemas/`` folder, by name."""

    def __init__(self, schemas: Path) -> None:
        super().__init__()
        self._schemas = schemas

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        local = shipped_schema(self._schemas, system_url)
        if local is None:
            raise etree.XMLSchemaParseError(f"{system_url} is not among the package's schemas")
        return self.resolve_filename(str(local), context)


def shipped_schema(schemas: Path, location: str) -> Path | None:
    """The file in ``schemas`` a schema location names (its last segment), or None."""
    name = PurePosixPath(urlparse(location).path).name
    candidate = schemas / name
    return candidate if name and candidate.is_file() and candidate.parent == schemas else None


class SchemaCache:
    """The package's schemas, each compiled once, resolved only inside ``schemas/``."""

    def __init__(self, schemas: Path) -> None:
        self._schemas = schemas
        self._compiled: dict[Path, Any] = {}

    def schema(self, location: str) -> Any:
        """The compiled schema a location names; XmlRefused-free: raises LookupError with why."""
        local = shipped_schema(self._schemas, location)
        if local is None:
            raise LookupError(f"names schema {location}, which the package does not ship in schemas/")
        if local not in self._compiled:
            parser = _parser()
            parser.resolvers.add(_ShippedSchemas(self._schemas))
            try:
                document = etree.parse(str(local), parser)
                self._compiled[local] = etree.XMLSchema(document)
            except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
                raise LookupError(f"names schema {local.name}, which does not compile ({exc})") from exc
        return self._compiled[local]


def schema_failures(tree: Any, part: str, schemas: SchemaCache) -> list[Failure]:
    """Validate ``tree`` against every schema its root names; each problem is a Failure."""
    root = tree.getroot()
    locations = _locations(root)
    if not locations:
        return [Failure(SCHEMA, part, "names no schema (xsi:schemaLocation); it cannot be validated")]
    failures = []
    namespace = etree.QName(root).namespace or ""
    wanted = locations.get(namespace)
    if wanted is None:
        return [Failure(SCHEMA, part, f"names no schema for its own namespace {namespace or '(none)'}")]
    try:
        schema = schemas.schema(wanted)
    except LookupError as exc:
        return [Failure(SCHEMA, part, str(exc))]
    if not schema.validate(tree):
        for error in list(schema.error_log)[:20]:
            failures.append(Failure(SCHEMA, f"{part}:{error.line}", error.message))
    return failures


def _locations(root: Any) -> dict[str, str]:
    """Namespace -> location from ``xsi:schemaLocation`` (and ``noNamespaceSchemaLocation``)."""
    pairs = (root.get(f"{{{XSI}}}schemaLocation") or "").split()
    found = dict(zip(pairs[0::2], pairs[1::2], strict=False))
    plain = root.get(f"{{{XSI}}}noNamespaceSchemaLocation")
    if plain:
        found[""] = plain
    return found
