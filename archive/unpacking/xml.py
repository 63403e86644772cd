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
XS = "http://www.w3.org/2001/XMLSchema"
MAX_XML_BYTES = 64 * 1024 * 1024  # a METS or EAD of a dossier is kilobytes; this is generous
# libxml2 compiles a particle with maxOccurs=n into an automaton that grows with n: a schema
# asking for 100000 takes minutes and gigabytes to compile. The official schemas say 1 or
# unbounded; anything above this is refused.
MAX_OCCURS = 1000


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


class _ShippedSchemas(etree.Resolver):
    """Resolve any schema reference to a file in the package's ``schemas/`` folder, by name."""

    def __init__(self, schemas: Path) -> None:
        super().__init__()
        self._schemas = schemas

    # lxml passes a context the stubs do not declare.
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        local = shipped_schema(self._schemas, system_url)
        if local is None:
            raise etree.XMLSchemaParseError(f"{system_url} is not among the package's schemas")
        problem = costly_schema(local)
        if problem:
            raise etree.XMLSchemaParseError(f"{local.name} {problem}")
        return self.resolve_string(local.read_bytes(), context, base_url=local.as_uri())


def costly_schema(path: Path) -> str:
    """Why compiling the schema at ``path`` could exhaust the machine, or "" when it cannot."""
    try:
        root = parse(path, path.name).getroot()
    except XmlRefused as exc:
        return exc.failure.problem
    for element in root.iter():
        for name in ("minOccurs", "maxOccurs"):
            value = element.get(name) if isinstance(element.tag, str) else None
            if value is not None and value.isdigit() and int(value) > MAX_OCCURS:
                return f"declares {name}={value}, more than {MAX_OCCURS}"
    return ""


def shipped_schema(schemas: Path, location: str) -> Path | None:
    """The file in ``schemas`` a schema location names (its last segment), or None."""
    name = PurePosixPath(urlparse(location).path).name
    candidate = schemas / name
    return candidate if name and candidate.is_file() and candidate.parent == schemas else None


class SchemaCache:
    """The package's schemas, compiled once per set of namespaces, resolved only inside ``schemas/``."""

    def __init__(self, schemas: Path) -> None:
        self.root = schemas = schemas.resolve()
        self._schemas = schemas
        self._compiled: dict[tuple[tuple[str, Path], ...], Any] = {}
        self._by_namespace: dict[str, Path] | None = None

    def for_namespace(self, namespace: str) -> Path | None:
        """The shipped schema whose targetNamespace is ``namespace`` (first by name), or None."""
        if self._by_namespace is None:
            self._by_namespace = {}
            for path in sorted(self._schemas.glob("*.xsd")) if self._schemas.is_dir() else []:
                try:
                    target = parse(path, path.name).getroot().get("targetNamespace") or ""
                except XmlRefused:
                    continue
                self._by_namespace.setdefault(target, path)
        return self._by_namespace.get(namespace)

    def schema(self, locations: dict[str, Path]) -> Any:
        """One compiled schema importing every shipped file of ``locations`` (namespace -> file);
        raises LookupError saying why it does not compile."""
        key = tuple(sorted(locations.items()))
        if key not in self._compiled:
            self._compiled[key] = self._compile(key)
        return self._compiled[key]

    def _compile(self, key: tuple[tuple[str, Path], ...]) -> Any:
        for _, path in key:
            problem = costly_schema(path)
            if problem:
                raise LookupError(f"names schema {path.name}, which {problem}")
        driver = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
        for namespace, path in key:
            attributes = {"schemaLocation": path.resolve().as_uri()}
            if namespace:
                attributes["namespace"] = namespace
            etree.SubElement(driver, f"{{{XS}}}import", attributes)
        parser = _parser()
        parser.resolvers.add(_ShippedSchemas(self._schemas))
        try:
            document = etree.fromstring(etree.tostring(driver), parser, base_url=self._schemas.as_uri() + "/")
            return etree.XMLSchema(document)
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
            names = ", ".join(p.name for _, p in key)
            raise LookupError(f"names schemas ({names}) that do not compile ({exc})") from exc


def schema_failures(tree: Any, part: str, schemas: SchemaCache) -> list[Failure]:
    """Validate ``tree`` against the shipped schemas its root names (or, naming none, the
    shipped schema of its namespace); each problem is a Failure."""
    root = tree.getroot()
    namespace = etree.QName(root).namespace or ""
    wanted: dict[str, Path] = {}
    for ns, location in _locations(root).items():
        local = shipped_schema(schemas.root, location)
        if local is None:
            return [
                Failure(SCHEMA, part, f"names schema {location}, which the package does not ship in schemas/")
            ]
        wanted[ns] = local
    if namespace not in wanted:
        own = schemas.for_namespace(namespace)
        if own is None:
            return [
                Failure(SCHEMA, part, f"no shipped schema declares its namespace {namespace or '(none)'}")
            ]
        wanted[namespace] = own
    try:
        schema = schemas.schema(wanted)
    except LookupError as exc:
        return [Failure(SCHEMA, part, str(exc))]
    if schema.validate(tree):
        return []
    return [Failure(SCHEMA, f"{part}:{error.line}", error.message) for error in list(schema.error_log)[:20]]


def _locations(root: Any) -> dict[str, str]:
    """Namespace -> location from ``xsi:schemaLocation`` (and ``noNamespaceSchemaLocation``)."""
    pairs = (root.get(f"{{{XSI}}}schemaLocation") or "").split()
    found = dict(zip(pairs[0::2], pairs[1::2], strict=False))
    plain = root.get(f"{{{XSI}}}noNamespaceSchemaLocation")
    if plain:
        found[""] = plain
    return found
