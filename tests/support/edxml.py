"""Build edXML packages that follow the published structure (QCVN 102:2016, as public
integrations of the interchange write them), for tests.

    package = EdxmlSpec(attachments=(pdf_attachment(pdf), appendix("PL1.docx"))).build()

The shape: root ``edXML`` (prefix ``edXML``) with ``edXMLEnvelope`` (``edXMLHeader``:
``MessageHeader``, ``TraceHeaderList``, ``Signature``; ``edXMLBody/edXMLManifest``)
followed by ``AttachmentEncoded`` with unqualified ``Attachment`` elements, each
base64 in ``ContentTransferEncoded``. PDF/DOC/DOCX/XLS go plain, other files zipped
as ``application/zip``. Every knob the wild varies is a field: namespace, date
spelling, ``cid:`` on either side, the signature slot.
"""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date

from cryptography.hazmat.primitives import serialization
from lxml import etree

from archive.domain.edxml import NAMESPACE_2016
from tests.support.signing import Identity, Pki

DSIG = "http://www.w3.org/2000/09/xmldsig#"
SENDER = "000.00.00.H10"  # UBND tỉnh Hà Giang's organ id (mã định danh), as packages carry it
RECEIVER = "000.00.12.H10"


@dataclass(frozen=True)
class AttachmentSpec:
    """One attachment: its bytes, name and type; ``zipped`` sends it as application/zip."""

    name: str
    data: bytes
    media_type: str = "application/pdf"
    content_id: str = ""  # default: its position, from 1
    zipped: bool = False
    description: str = ""


def pdf_attachment(pdf: bytes, name: str = "QD-123.pdf") -> AttachmentSpec:
    """The signed document itself, as a plain PDF."""
    return AttachmentSpec(name=name, data=pdf)


def zipped_attachment(name: str, data: bytes) -> AttachmentSpec:
    """A file the interchange zips (anything but PDF/DOC/DOCX/XLS)."""
    return AttachmentSpec(name=name, data=data, media_type="application/zip", zipped=True)


@dataclass(frozen=True)
class EdxmlSpec:
    """What a package says; ``build()`` writes it."""

    namespace: str = NAMESPACE_2016
    sender: str = SENDER
    sender_name: str = "UBND tỉnh Hà Giang"
    receivers: tuple[tuple[str, str], ...] = ((RECEIVER, "Sở Nội vụ tỉnh Hà Giang"),)
    number: str = "123"
    notation: str = "QĐ-UBND"
    issued: date = date(2026, 1, 2)
    date_style: str = "dd/MM/yyyy"  # or yyyy/MM/dd, iso
    place: str = "Hà Giang"
    type_name: str = "Quyết định"
    subject: str = "Quyết định về việc ban hành quy chế lưu trữ điện tử"
    content: str = "Ban hành kèm theo Quyết định này quy chế lưu trữ hồ sơ điện tử."
    competence: str = "TM. ỦY BAN NHÂN DÂN"
    position: str = "CHỦ TỊCH"
    signer: str = "Nguyễn Văn An"
    due: date | None = None
    to_places: tuple[str, ...] = ("Như Điều 3",)
    priority: int = 1
    sphere: str = "Văn bản cấp tỉnh"
    amount: int = 10
    pages: int = 2
    appendixes: tuple[str, ...] = ()
    response_for: tuple[tuple[str, str, str], ...] = ()  # (organ id, code, document id)
    steering_type: int | None = 1
    hops: tuple[tuple[str, str], ...] = ((SENDER, "2026-01-02T08:30:00+07:00"),)
    business: int = 0
    reason: str = ""
    business_document_id: str = ""
    replaces: tuple[str, ...] = ()  # DocumentIds in ReplacementInfoList
    attachments: tuple[AttachmentSpec, ...] = ()
    document_id: str = ""  # default: OrganId,yyyy/MM/dd,number/notation
    cid_in_manifest: bool = True  # write "cid:" in the manifest's ContentId
    cid_in_attachment: bool = False  # ... and/or in the attachment's
    signature: str = "placeholder"  # none, placeholder, sha1, fixed, real
    omit: tuple[str, ...] = ()  # header elements to leave out, e.g. ("Subject",)
    drop_attachment: str = ""  # a content id the manifest names but AttachmentEncoded lacks
    raw_attachment: dict[str, str] = field(default_factory=dict)  # content id -> ContentTransferEncoded

    @property
    def the_document_id(self) -> str:
        return self.document_id or f"{self.sender},{self.issued:%Y/%m/%d},{self.number}/{self.notation}"

    def build(self, signer: Identity | None = None, pki: Pki | None = None) -> bytes:
        """The package's bytes; ``signature="real"`` needs ``signer`` and ``pki``."""
        root = _Writer(self).root()
        if self.signature == "real":
            assert signer is not None and pki is not None, "a real signature needs a signer"
            return sign_package(root, signer, pki)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def but(self, **changes: object) -> EdxmlSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


class _Writer:
    def __init__(self, spec: EdxmlSpec) -> None:
        self.spec = spec
        self.ns = spec.namespace

    def el(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            element.text = text
        return element

    def date(self, value: date) -> str:
        style = self.spec.date_style
        if style == "yyyy/MM/dd":
            return f"{value:%Y/%m/%d}"
        if style == "iso":
            return value.isoformat()
        return f"{value:%d/%m/%Y}"

    def root(self) -> etree._Element:
        root = etree.Element(f"{{{self.ns}}}edXML", nsmap={"edXML": self.ns})
        envelope = self.el(root, "edXMLEnvelope")
        header = self.el(envelope, "edXMLHeader")
        self.message_header(header)
        self.trace(header)
        self.signature_slot(header)
        self.manifest(self.el(envelope, "edXMLBody"))
        self.encoded(root)
        return root

    def message_header(self, header: etree._Element) -> None:
        s, omit = self.spec, self.spec.omit
        message = self.el(header, "MessageHeader")
        if "From" not in omit:
            sender = self.el(message, "From")
            self.el(sender, "OrganId", s.sender)
            self.el(sender, "OrganName", s.sender_name)
        for organ_id, name in s.receivers:
            to = self.el(message, "To")
            self.el(to, "OrganId", organ_id)
            self.el(to, "OrganName", name)
        if "DocumentId" not in omit:
            self.el(message, "DocumentId", s.the_document_id)
        code = self.el(message, "Code")
        self.el(code, "CodeNumber", s.number)
        self.el(code, "CodeNotation", s.notation)
        promulgation = self.el(message, "PromulgationInfo")
        self.el(promulgation, "Place", s.place)
        self.el(promulgation, "PromulgationDate", self.date(s.issued))
        kind = self.el(message, "DocumentType")
        self.el(kind, "Type", "1")
        self.el(kind, "TypeName", s.type_name)
        if "Subject" not in omit:
            self.el(message, "Subject", s.subject)
        self.el(message, "Content", s.content)
        signer = self.el(message, "SignerInfo")
        self.el(signer, "Competence", s.competence)
        self.el(signer, "Position", s.position)
        self.el(signer, "FullName", s.signer)
        if s.due is not None:
            self.el(message, "DueDate", self.date(s.due))
        places = self.el(message, "ToPlaces")
        for place in s.to_places:
            self.el(places, "Place", place)
        self.other(message)
        for organ_id, code_text, document_id in s.response_for:
            response = self.el(message, "ResponseFor")
            self.el(response, "OrganId", organ_id)
            self.el(response, "Code", code_text)
            self.el(response, "PromulgationDate", self.date(s.issued))
            self.el(response, "DocumentId", document_id)
        if s.steering_type is not None:
            self.el(message, "SteeringType", str(s.steering_type))

    def other(self, message: etree._Element) -> None:
        s = self.spec
        other = self.el(message, "OtherInfo")
        self.el(other, "Priority", str(s.priority))
        self.el(other, "SphereOfPromulgation", s.sphere)
        self.el(other, "TyperNotation", "VT")
        self.el(other, "PromulgationAmount", str(s.amount))
        self.el(other, "PageAmount", str(s.pages))
        appendixes = self.el(other, "Appendixes")
        for name in s.appendixes:
            self.el(appendixes, "Appendix", name)

    def trace(self, header: etree._Element) -> None:
        s = self.spec
        trace = self.el(header, "TraceHeaderList")
        for organ_id, stamp in s.hops:
            hop = self.el(trace, "TraceHeader")
            self.el(hop, "OrganId", organ_id)
            self.el(hop, "Timestamp", stamp)
        business = self.el(trace, "Bussiness")
        self.el(business, "BussinessDocType", str(s.business))
        self.el(business, "BussinessDocReason", s.reason)
        if s.business_document_id:
            self.el(business, "DocumentId", s.business_document_id)
        self.el(business, "Paper", "0")
        if s.replaces:
            replacements = self.el(business, "ReplacementInfoList")
            for document_id in s.replaces:
                info = self.el(replacements, "ReplacementInfo")
                self.el(info, "DocumentId", document_id)
                organs = self.el(info, "OrganIdList")
                self.el(organs, "OrganId", RECEIVER)

    def signature_slot(self, header: etree._Element) -> None:
        kind = self.spec.signature
        if kind in ("none", "real"):
            if kind == "real":  # signxml fills this placeholder in place
                etree.SubElement(header, f"{{{DSIG}}}Signature", nsmap={"ds": DSIG}, Id="placeholder")
            return
        if kind == "placeholder":  # the slot filled in the edXML namespace, as many systems do
            signature = self.el(header, "Signature")
            self.el(signature, "SignatureValue", "")
            return
        algorithm = "http://www.w3.org/2000/09/xmldsig#sha1"
        digest = "FwgIqsSYJshUS2+wlOM61L+q7Aw=" if kind == "fixed" else "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        signature = etree.SubElement(header, f"{{{DSIG}}}Signature", nsmap={"ds": DSIG})
        signed_info = etree.SubElement(signature, f"{{{DSIG}}}SignedInfo")
        method = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" if kind == "fixed" else algorithm
        etree.SubElement(signed_info, f"{{{DSIG}}}SignatureMethod", Algorithm=method)
        reference = etree.SubElement(signed_info, f"{{{DSIG}}}Reference", URI="")
        digest_method = "http://www.w3.org/2001/04/xmlenc#sha256" if kind == "fixed" else algorithm
        etree.SubElement(reference, f"{{{DSIG}}}DigestMethod", Algorithm=digest_method)
        etree.SubElement(reference, f"{{{DSIG}}}DigestValue").text = digest
        etree.SubElement(signature, f"{{{DSIG}}}SignatureValue").text = "c2lnbmF0dXJl"
        key_info = etree.SubElement(signature, f"{{{DSIG}}}KeyInfo")
        data = etree.SubElement(key_info, f"{{{DSIG}}}X509Data")
        etree.SubElement(data, f"{{{DSIG}}}X509Certificate").text = "MIIB"

    def manifest(self, body: etree._Element) -> None:
        manifest = self.el(body, "edXMLManifest")
        for index, attachment in enumerate(self.spec.attachments, start=1):
            reference = self.el(manifest, "Reference")
            content_id = attachment.content_id or str(index)
            self.el(reference, "ContentId", f"cid:{content_id}" if self.spec.cid_in_manifest else content_id)
            self.el(
                reference, "ContentType", "application/zip" if attachment.zipped else attachment.media_type
            )
            self.el(reference, "Description", attachment.description)
            self.el(reference, "AttachmentName", attachment.name)

    def encoded(self, root: etree._Element) -> None:
        block = etree.SubElement(root, "AttachmentEncoded")  # unqualified, as integrations send it
        for index, attachment in enumerate(self.spec.attachments, start=1):
            content_id = attachment.content_id or str(index)
            if content_id == self.spec.drop_attachment:
                continue
            item = etree.SubElement(block, "Attachment")
            etree.SubElement(item, "ContentId").text = (
                f"cid:{content_id}" if self.spec.cid_in_attachment else content_id
            )
            etree.SubElement(item, "ContentTransferEncoded").text = self.spec.raw_attachment.get(
                content_id, _encode(attachment)
            )


def _encode(attachment: AttachmentSpec) -> str:
    data = attachment.data
    if attachment.zipped:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(attachment.name, data)
        data = buffer.getvalue()
    encoded = base64.b64encode(data).decode()
    return "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))  # MIME line length


def sign_package(root: etree._Element, signer: Identity, pki: Pki) -> bytes:
    """Sign the package with an enveloped XMLDSig (RSA-SHA256) in the header's slot."""
    from signxml.signer import XMLSigner

    pem = serialization.Encoding.PEM
    key = signer.key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    chain = [signer.certificate.public_bytes(pem), pki.government_ca.certificate.public_bytes(pem)]
    signed = XMLSigner(signature_algorithm="rsa-sha256", digest_algorithm="sha256").sign(
        root, key=key, cert=[c.decode() for c in chain]
    )
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def billion_laughs() -> bytes:
    """The classic entity bomb around an edXML root."""
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY lol0 "lol">{entities}]>\n'
        f'<edXML:edXML xmlns:edXML="{NAMESPACE_2016}">&lol9;</edXML:edXML>'
    ).encode()


def external_entity() -> bytes:
    """An XXE attempt: an external entity reading a local file."""
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f'<edXML:edXML xmlns:edXML="{NAMESPACE_2016}"><x>&xxe;</x></edXML:edXML>'
    ).encode()
