"""Read an edXML package with lxml, safely: no DTD, no entity, no network, bounded sizes.

``read_package`` returns an :class:`~archive.domain.edxml.EdxmlPackage` or raises
:class:`~archive.domain.errors.PackageRefused` naming the part at fault. It never
writes anything, so a refused package leaves nothing behind.

Hostile XML: a document type declaration is refused before parsing (billion
laughs, external entities, XXE); the parser is also built with entity resolution,
DTD loading and network access off, so what the byte scan could miss (another
encoding) cannot expand either; ``huge_tree`` is on only so that an attachment's
base64 (one text node) may exceed libxml2's 10 MB default. Attachments:
base64 is decoded strictly, zip archives are checked against their declared and
actual sizes (zip bombs), and every size is bounded by :class:`PackageLimits`.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from lxml import etree

from archive.domain.edxml import (
    NAMESPACES,
    PLAIN_MEDIA_TYPES,
    ZIP_MEDIA_TYPE,
    Attachment,
    Business,
    EdxmlPackage,
    EnvelopeSignature,
    Organ,
    OtherInfo,
    Replacement,
    ResponseFor,
    SignerInfo,
    TraceHop,
    business_type,
    parse_date,
    parse_timestamp,
    split_document_id,
)
from archive.domain.errors import PackageRefused

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_WHITESPACE = b" \t\r\n\f\v"
_MESSAGE_HEADER = "MessageHeader"


@dataclass(frozen=True, slots=True)
class PackageLimits:
    """Bounds on one package; anything larger is refused naming the part."""

    max_package_bytes: int = 200 * 1024 * 1024
    max_attachments: int = 100
    max_attachment_bytes: int = 100 * 1024 * 1024  # decoded, and unzipped
    max_zip_entries: int = 100


def read_package(root: Any, limits: PackageLimits, signature: EnvelopeSignature) -> EdxmlPackage:
    """Read and decode a package parsed by :func:`parse_xml`; ``signature`` is the
    envelope signature's verdict (``indexing.edxml.signature.verify_envelope``).

    Raises:
        PackageRefused: a missing required header field, a bad date or number, corrupt
            base64 or zip, a manifest naming a missing attachment, or a size over ``limits``.
    """
    return _Package(root).read(limits, signature)


def parse_xml(data: bytes, limits: PackageLimits) -> Any:
    """The root element of a package whose root is ``edXML`` in a known namespace.

    Raises:
        PackageRefused: oversized, empty, a DTD or entity declaration, not well-formed,
            or an unknown root or namespace.
    """
    if len(data) > limits.max_package_bytes:
        raise PackageRefused("package", f"is {len(data)} bytes, over the limit of {limits.max_package_bytes}")
    if not data.strip():
        raise PackageRefused("xml", "the package is empty")
    if _DOCTYPE.search(data):
        raise PackageRefused("xml", "a document type declaration (DTD or entities) is not accepted")
    # huge_tree lifts libxml2's 10 MB cap on one text node: an attachment's base64 is one
    # node, and a 10 MB scan is an ordinary appendix. What the cap guards against (entity
    # expansion) is refused above and switched off here; the package's size is bounded.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise PackageRefused("xml", f"not well-formed XML: {error}") from None
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lacks DocInfo.doctype
    if docinfo.doctype:
        raise PackageRefused("xml", "a document type declaration (DTD or entities) is not accepted")
    _check_root(root)
    return root


def _check_root(root: Any) -> None:
    qname = etree.QName(root)
    if qname.namespace not in NAMESPACES:
        known = " or ".join(NAMESPACES)
        raise PackageRefused("root", f"namespace {qname.namespace!r} is not an edXML namespace ({known})")
    if qname.localname != "edXML":
        raise PackageRefused("root", f"the root element is {qname.localname!r}, not edXML")


def _either(found: Any, fallback: Any) -> Any:
    # Elements are falsy when they have no children: never use ``or`` on them.
    return fallback if found is None else found


def namespace_of(root: Any) -> str:
    """The package's namespace (one of ``NAMESPACES``)."""
    return str(etree.QName(root).namespace)


class _Package:
    """The walk over one parsed package; each lookup accepts the package's namespace
    and no namespace, since senders qualify some elements and not others."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.ns = namespace_of(root)

    def read(self, limits: PackageLimits, signature: EnvelopeSignature) -> EdxmlPackage:
        envelope = self.required(self.root, "edXMLEnvelope", "edXMLEnvelope")
        header_parent = _either(self.child(envelope, "edXMLHeader"), envelope)
        header = self.required(header_parent, _MESSAGE_HEADER, _MESSAGE_HEADER)
        code = self.child(header, "Code")
        promulgation = self.required(header, "PromulgationInfo", "MessageHeader/PromulgationInfo")
        document_id = self.text_required(header, "DocumentId", "MessageHeader/DocumentId")
        number, notation = self._code(code, document_id)
        return EdxmlPackage(
            namespace=self.ns,
            sender=self._organ(self.required(header, "From", "MessageHeader/From"), "MessageHeader/From"),
            receivers=tuple(self._organ(to, "MessageHeader/To") for to in self.children(header, "To")),
            document_id=document_id,
            number=number,
            notation=notation,
            promulgation_place=self.text(promulgation, "Place"),
            promulgation_date=parse_date(
                self.text_required(promulgation, "PromulgationDate", "PromulgationInfo/PromulgationDate"),
                "MessageHeader/PromulgationInfo/PromulgationDate",
            ),
            document_type=self._document_type(header),
            subject=self.text_required(header, "Subject", "MessageHeader/Subject"),
            content=self.text(header, "Content"),
            signer=self._signer(header),
            due_date=self._optional_date(header, "DueDate"),
            to_places=tuple(self.texts(self.child(header, "ToPlaces"), "Place")),
            other=self._other(self.child(header, "OtherInfo")),
            response_for=tuple(
                self._response_for(element) for element in self.children(header, "ResponseFor")
            ),
            steering_type=self._int(self.text(header, "SteeringType"), "MessageHeader/SteeringType"),
            trace=self._trace(self.child(header_parent, "TraceHeaderList")),
            business=self._business(self.child(header_parent, "TraceHeaderList")),
            attachments=tuple(_Attachments(self, envelope).decode(limits)),
            signature=signature,
        )

    # -- lookups -------------------------------------------------------------------------

    def children(self, parent: Any, name: str) -> Iterator[Any]:
        if parent is None:
            return
        for element in parent:
            if not isinstance(element.tag, str):
                continue  # comments and processing instructions
            qname = etree.QName(element)
            if qname.localname == name and qname.namespace in (self.ns, None):
                yield element

    def child(self, parent: Any, name: str) -> Any:
        return next(self.children(parent, name), None)

    def required(self, parent: Any, name: str, part: str) -> Any:
        found = self.child(parent, name)
        if found is None:
            raise PackageRefused(part, "is missing")
        return found

    def text(self, parent: Any, name: str) -> str:
        found = self.child(parent, name)
        return "" if found is None else "".join(found.itertext()).strip()

    def texts(self, parent: Any, name: str) -> Iterator[str]:
        for element in self.children(parent, name):
            value = "".join(element.itertext()).strip()
            if value:
                yield value

    def text_required(self, parent: Any, name: str, part: str) -> str:
        value = self.text(parent, name)
        if not value:
            raise PackageRefused(part, "is missing or empty")
        return value

    # -- header parts ----------------------------------------------------------------------

    def _organ(self, element: Any, part: str) -> Organ:
        organ_id = self.text_required(element, "OrganId", f"{part}/OrganId")
        name = self.text(element, "OrganName") or self.text(element, "OrganizationInCharge")
        return Organ(organ_id=organ_id, name=name)

    def _code(self, code: Any, document_id: str) -> tuple[str, str]:
        number, notation = self.text(code, "CodeNumber"), self.text(code, "CodeNotation")
        if not number:
            parts = split_document_id(document_id)  # OrganId,yyyy/MM/dd,number/notation
            if parts is None or not parts.number:
                raise PackageRefused("MessageHeader/Code/CodeNumber", "is missing or empty")
            return parts.number, notation or parts.notation
        return number, notation

    def _document_type(self, header: Any) -> str:
        element = self.child(header, "DocumentType")
        if element is None:
            raise PackageRefused("MessageHeader/DocumentType", "is missing")
        # 2016: Type, TypeDetail and TypeName children; older packages: the name as text.
        name = self.text(element, "TypeName") or (element.text or "").strip()
        if not name:
            raise PackageRefused("MessageHeader/DocumentType/TypeName", "is missing or empty")
        return name

    def _signer(self, header: Any) -> SignerInfo:
        element = self.required(header, "SignerInfo", "MessageHeader/SignerInfo")
        return SignerInfo(
            competence=self.text(element, "Competence"),
            position=self.text(element, "Position"),
            full_name=self.text_required(element, "FullName", "MessageHeader/SignerInfo/FullName"),
        )

    def _optional_date(self, parent: Any, name: str) -> Any:
        value = self.text(parent, name)
        return parse_date(value, f"MessageHeader/{name}") if value else None

    def _other(self, element: Any) -> OtherInfo:
        if element is None:
            return OtherInfo()
        part = "MessageHeader/OtherInfo"
        return OtherInfo(
            priority=self._int(self.text(element, "Priority"), f"{part}/Priority"),
            sphere_of_promulgation=self.text(element, "SphereOfPromulgation"),
            promulgation_amount=self._int(
                self.text(element, "PromulgationAmount"), f"{part}/PromulgationAmount"
            ),
            page_amount=self._int(self.text(element, "PageAmount"), f"{part}/PageAmount"),
            appendixes=tuple(self.texts(self.child(element, "Appendixes"), "Appendix")),
        )

    def _response_for(self, element: Any) -> ResponseFor:
        when = self.text(element, "PromulgationDate")
        return ResponseFor(
            organ_id=self.text(element, "OrganId"),
            code=self.text(element, "Code"),
            document_id=self.text(element, "DocumentId"),
            promulgation_date=parse_date(when, "MessageHeader/ResponseFor/PromulgationDate")
            if when
            else None,
        )

    def _trace(self, element: Any) -> tuple[TraceHop, ...]:
        hops = []
        for hop in self.children(element, "TraceHeader"):
            stamp = self.text(hop, "Timestamp")
            when = parse_timestamp(stamp, "TraceHeaderList/TraceHeader/Timestamp") if stamp else None
            hops.append(TraceHop(organ_id=self.text(hop, "OrganId"), timestamp=when))
        return tuple(hops)

    def _business(self, element: Any) -> Business:
        found = _either(self.child(element, "Bussiness"), self.child(element, "Business"))
        if found is None:
            return Business()
        kind = self.text(found, "BussinessDocType") or self.text(found, "BusinessDocType")
        replacements = tuple(
            Replacement(
                document_id=self.text_required(
                    info, "DocumentId", "ReplacementInfoList/ReplacementInfo/DocumentId"
                ),
                organ_ids=tuple(self.texts(self.child(info, "OrganIdList"), "OrganId")),
            )
            for info in self.children(self.child(found, "ReplacementInfoList"), "ReplacementInfo")
        )
        return Business(
            type=business_type(kind),
            reason=self.text(found, "BussinessDocReason") or self.text(found, "BusinessDocReason"),
            document_id=self.text(found, "DocumentId"),
            replacements=replacements,
        )

    @staticmethod
    def _int(value: str, part: str) -> int | None:
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            raise PackageRefused(part, f"{value!r} is not a whole number") from None
        if not 0 <= number <= 1_000_000:
            raise PackageRefused(part, f"{number} is out of range")
        return number


@dataclass(frozen=True, slots=True)
class _Reference:
    content_id: str
    media_type: str
    name: str
    description: str


class _Attachments:
    """The manifest matched with ``AttachmentEncoded``, each attachment decoded."""

    def __init__(self, package: _Package, envelope: Any) -> None:
        self.package = package
        body = package.child(envelope, "edXMLBody")
        manifest = _either(package.child(body, "edXMLManifest"), package.child(envelope, "edXMLManifest"))
        self.references = [self._reference(r) for r in package.children(manifest, "Reference")]
        self.encoded = self._encoded()

    def _reference(self, element: Any) -> _Reference:
        p = self.package
        content_id = content_id_of(p.text_required(element, "ContentId", "edXMLManifest/Reference/ContentId"))
        return _Reference(
            content_id=content_id,
            media_type=p.text(element, "ContentType").lower(),
            name=p.text(element, "AttachmentName"),
            description=p.text(element, "Description"),
        )

    def _encoded(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for block in self.package.children(self.package.root, "AttachmentEncoded"):
            for attachment in self.package.children(block, "Attachment"):
                raw_id = self.package.text(attachment, "ContentId")
                content_id = content_id_of(raw_id)
                if not content_id:
                    raise PackageRefused("AttachmentEncoded/Attachment/ContentId", "is missing or empty")
                if content_id in found:
                    raise PackageRefused(f"attachment cid:{content_id}", "appears twice in AttachmentEncoded")
                found[content_id] = self.package.text(attachment, "ContentTransferEncoded")
        return found

    def decode(self, limits: PackageLimits) -> Iterator[Attachment]:
        listed = {r.content_id for r in self.references}
        unlisted = [
            _Reference(content_id, "", f"attachment-{content_id}", "")
            for content_id in self.encoded
            if content_id not in listed
        ]
        references = [*self.references, *unlisted]
        if len(references) > limits.max_attachments:
            raise PackageRefused("AttachmentEncoded", f"has more than {limits.max_attachments} attachments")
        for reference in references:
            if reference.content_id not in self.encoded:
                raise PackageRefused(
                    f"attachment cid:{reference.content_id}",
                    "the manifest names it but AttachmentEncoded does not carry it",
                )
            yield from _decoded(reference, self.encoded[reference.content_id], limits)


def content_id_of(raw: str) -> str:
    """A content id without ``cid:`` and angle brackets: the manifest and the attachment
    may each carry the prefix or not."""
    value = raw.strip().strip("<>").strip()
    return value[4:].strip() if value.lower().startswith("cid:") else value


def _decoded(reference: _Reference, encoded: str, limits: PackageLimits) -> Iterator[Attachment]:
    part = f"attachment cid:{reference.content_id}"
    data = _base64(encoded, part, limits)
    if reference.media_type == ZIP_MEDIA_TYPE or (not reference.media_type and data[:4] == b"PK\x03\x04"):
        yield from _unzipped(reference, data, part, limits)
        return
    yield Attachment(
        content_id=reference.content_id,
        name=_safe_name(reference.name, reference.content_id, reference.media_type),
        media_type=reference.media_type or "application/octet-stream",
        data=data,
        description=reference.description,
    )


def _base64(encoded: str, part: str, limits: PackageLimits) -> bytes:
    compact = encoded.encode("ascii", "replace").translate(None, _WHITESPACE)  # MIME line breaks
    if not compact:
        raise PackageRefused(part, "ContentTransferEncoded is empty")
    if len(compact) // 4 * 3 > limits.max_attachment_bytes:
        raise PackageRefused(part, f"is over the limit of {limits.max_attachment_bytes} bytes")
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as error:
        raise PackageRefused(part, f"ContentTransferEncoded is not valid base64 ({error})") from None


def _unzipped(reference: _Reference, data: bytes, part: str, limits: PackageLimits) -> Iterator[Attachment]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise PackageRefused(part, f"labelled application/zip but not a readable zip ({error})") from None
    if not entries or len(entries) > limits.max_zip_entries:
        raise PackageRefused(
            part, f"the zip holds {len(entries)} files (1 to {limits.max_zip_entries} expected)"
        )
    for index, info in enumerate(entries):
        if info.file_size > limits.max_attachment_bytes:
            raise PackageRefused(
                part, f"{info.filename!r} unzips to over {limits.max_attachment_bytes} bytes"
            )
        content = _read_entry(archive, info, part, limits)
        suffix = "" if len(entries) == 1 else f"#{index + 1}"
        yield Attachment(
            content_id=reference.content_id + suffix,
            name=_safe_name(PurePosixPath(info.filename.replace("\\", "/")).name, reference.content_id, ""),
            media_type=_media_type_of(info.filename),
            data=content,
            description=reference.description,
            zipped=True,
        )


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, part: str, limits: PackageLimits) -> bytes:
    try:
        with archive.open(info) as stream:
            content = stream.read(limits.max_attachment_bytes + 1)
    except (zipfile.BadZipFile, RuntimeError, ValueError, EOFError, OSError) as error:
        raise PackageRefused(part, f"the zip is corrupt ({error})") from None
    if len(content) > limits.max_attachment_bytes:  # the header lied about the size
        raise PackageRefused(part, f"{info.filename!r} unzips to over {limits.max_attachment_bytes} bytes")
    return content


_EXTENSIONS = {suffix: media for media, suffix in PLAIN_MEDIA_TYPES.items()}
_EXTENSIONS.update({".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
_EXTENSIONS.update(
    {".txt": "text/plain", ".xml": "application/xml", ".odt": "application/vnd.oasis.opendocument.text"}
)


def _media_type_of(name: str) -> str:
    return _EXTENSIONS.get(PurePosixPath(name.lower()).suffix, "application/octet-stream")


def _safe_name(name: str, content_id: str, media_type: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name.strip() if name else ""
    if base in ("", ".", ".."):
        base = f"attachment-{content_id}{PLAIN_MEDIA_TYPES.get(media_type, '')}"
    return base[:255]
