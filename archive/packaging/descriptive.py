"""The TT05 descriptive files (EAD.xml, EAD_doc_*.xml) and the XSD that validates them.

Both come from the tables of ``archive.domain.tt05``: the writer walks a table and
takes each value from the description's attribute; the XSD declares the same
elements in the same order with the same types. So a field added to a table is
written and validated at once, and no element name is spelled here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lxml import etree

from archive.domain import tt05

XS_NS = "http://www.w3.org/2001/XMLSchema"


def _t(tag: str) -> str:
    return f"{{{tt05.NAMESPACE}}}{tag}"


def render(root_name: str, description: object) -> bytes:
    """The descriptive file of ``description`` under ``root_name`` (a key of tt05.ROOTS).

    Optional fields without a value are left out; required ones are always written."""
    root = etree.Element(_t(root_name), nsmap={None: tt05.NAMESPACE})  # type: ignore[dict-item]  # default namespace
    root.set("version", tt05.VERSION)
    for field in tt05.ROOTS[root_name]:
        for text in _texts(field, getattr(description, field.attribute)):
            etree.SubElement(root, _t(field.element)).text = text
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _texts(field: tt05.Field, value: Any) -> list[str]:
    if field.kind is tt05.Kind.CODES:
        return [str(v) for v in value]
    if value is None or (value == "" and not field.required):
        return []
    if field.kind is tt05.Kind.FLAG:
        return ["true" if value else "false"]
    if field.kind is tt05.Kind.DATE:
        assert isinstance(value, date)
        return [value.isoformat()]
    return [str(value)]


def schema() -> bytes:
    """Our XSD for the TT05 field set (``schemas/tt05-ead.xsd`` in every package)."""
    root = etree.Element(
        f"{{{XS_NS}}}schema",
        nsmap={"xs": XS_NS, None: tt05.NAMESPACE},  # type: ignore[dict-item]
        targetNamespace=tt05.NAMESPACE,
        elementFormDefault="qualified",
        version=tt05.VERSION,
    )
    _documentation(
        root,
        "Circular 05/2025/TT-BNV descriptive metadata as written by records-archive. TT05 publishes "
        "no usable XSD for its field set; this one is generated from archive/domain/tt05.py.",
    )
    for root_name, fields in tt05.ROOTS.items():
        _root_element(root, root_name, fields)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _root_element(schema_root: etree._Element, name: str, fields: tuple[tt05.Field, ...]) -> None:
    element = etree.SubElement(schema_root, f"{{{XS_NS}}}element", name=name)
    complex_type = etree.SubElement(element, f"{{{XS_NS}}}complexType")
    sequence = etree.SubElement(complex_type, f"{{{XS_NS}}}sequence")
    for field in fields:
        child = etree.SubElement(sequence, f"{{{XS_NS}}}element", name=field.element)
        child.set("type", field.kind.value.rstrip("*"))
        child.set("minOccurs", "1" if field.required else "0")
        if field.kind is tt05.Kind.CODES:
            child.set("maxOccurs", "unbounded")
        if field.label:
            _documentation(child, field.label)
    etree.SubElement(complex_type, f"{{{XS_NS}}}attribute", name="version", type="xs:token", use="required")


def _documentation(parent: etree._Element, text: str) -> None:
    annotation = etree.SubElement(parent, f"{{{XS_NS}}}annotation")
    etree.SubElement(annotation, f"{{{XS_NS}}}documentation").text = text
