"""The interchange's status packages (acknowledgements), written into an outbox folder.

A receiving system answers each package with status packages the gateway returns to
the sender: ``edXML/edXMLEnvelope/edXMLHeader/Status`` with ``ResponseFor`` (the
sender's organ id, the number/notation, the promulgation date, the ``DocumentId``),
``From`` (the receiver), ``StatusCode``, ``Description`` and ``Timestamp``. The codes
used here: ``01`` received (đã đến), ``02`` refused (từ chối tiếp nhận) with the
reason, ``03`` accepted (đã tiếp nhận).

Each file is written under a temporary name and renamed, so a gateway polling the
folder never picks up half a file.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree

from archive.domain.edxml import NAMESPACE_2016, EdxmlPackage

RECEIVED, REFUSED, ACCEPTED = "01", "02", "03"


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """One status package."""

    status_code: str
    description: str
    at: datetime
    sender_organ_id: str = ""
    code: str = ""  # number/notation
    promulgation_date: str = ""  # dd/MM/yyyy
    document_id: str = ""
    receiver_organ_id: str = ""
    receiver_name: str = ""
    namespace: str = NAMESPACE_2016

    @classmethod
    def received(cls, package: EdxmlPackage, at: datetime) -> Acknowledgement:
        """Status 01: the package arrived and was read."""
        return cls._about(package, RECEIVED, "Đã đến", at)

    @classmethod
    def decided(
        cls, package: EdxmlPackage | None, name: str, at: datetime, *, refusal: str | None
    ) -> Acknowledgement:
        """Status 03 (accepted), or 02 (refused) with the reason; a package that could not
        be read at all is named by its file name in the description."""
        if refusal is None and package is not None:
            return cls._about(package, ACCEPTED, "Đã tiếp nhận", at)
        reason = f"Từ chối tiếp nhận: {refusal}"
        if package is None:
            return cls(REFUSED, f"{reason} ({name})"[:1000], at)
        return cls._about(package, REFUSED, reason[:1000], at)

    @classmethod
    def _about(cls, package: EdxmlPackage, code: str, description: str, at: datetime) -> Acknowledgement:
        receiver = package.receivers[0] if package.receivers else None
        notation = f"{package.number}/{package.notation}" if package.notation else package.number
        return cls(
            status_code=code,
            description=description,
            at=at,
            sender_organ_id=package.sender.organ_id,
            code=notation,
            promulgation_date=f"{package.promulgation_date:%d/%m/%Y}",
            document_id=package.document_id,
            receiver_organ_id=receiver.organ_id if receiver else "",
            receiver_name=receiver.name if receiver else "",
            namespace=package.namespace,
        )

    def to_xml(self) -> bytes:
        """The status package's bytes."""
        ns = self.namespace
        root = etree.Element(f"{{{ns}}}edXML", nsmap={"edXML": ns})
        header = etree.SubElement(etree.SubElement(root, f"{{{ns}}}edXMLEnvelope"), f"{{{ns}}}edXMLHeader")
        status = etree.SubElement(header, f"{{{ns}}}Status")
        response = etree.SubElement(status, f"{{{ns}}}ResponseFor")
        for name, value in (
            ("OrganId", self.sender_organ_id),
            ("Code", self.code),
            ("PromulgationDate", self.promulgation_date),
            ("DocumentId", self.document_id),
        ):
            etree.SubElement(response, f"{{{ns}}}{name}").text = value
        sender = etree.SubElement(status, f"{{{ns}}}From")
        etree.SubElement(sender, f"{{{ns}}}OrganId").text = self.receiver_organ_id
        etree.SubElement(sender, f"{{{ns}}}OrganName").text = self.receiver_name
        etree.SubElement(status, f"{{{ns}}}StatusCode").text = self.status_code
        etree.SubElement(status, f"{{{ns}}}Description").text = self.description
        etree.SubElement(status, f"{{{ns}}}Timestamp").text = f"{self.at:%d/%m/%Y %H:%M:%S}"
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def write_acknowledgement(outbox: Path, acknowledgement: Acknowledgement) -> Path:
    """Write one status package into ``outbox`` (created if missing); returns its path."""
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{acknowledgement.at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}-{acknowledgement.status_code}.edxml"
    final = outbox / name
    partial = outbox / f".{name}.part"
    partial.write_bytes(acknowledgement.to_xml())
    os.replace(partial, final)
    return final
