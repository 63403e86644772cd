"""A throwaway PKI and pyHanko helpers that build signed (and tampered) PDFs.

For tests and benchmarks: nothing here talks to the network. The chain mirrors
the Vietnamese one: a national root CA, a "government CA" under it, and a
signer certificate with a Vietnamese name. A local time-stamping authority can
embed RFC 3161 tokens without any HTTP server (pyHanko's ``DummyTimeStamper``).

Typical use::

    pki = make_pki()
    signed = sign_pdf(render_pdf(), pki.signer, pki)
    write_trust_roots(tmp_path / "roots", pki.root.certificate)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import MDPPerm
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNER_NAME = "Nguyễn Văn An"
SIGNER_ORGANISATION = "UBND tỉnh Hà Giang"


@dataclass(frozen=True)
class Identity:
    """A certificate and its private key (``cryptography`` objects)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def asn1_certificate(self) -> asn1_x509.Certificate:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return asn1_x509.Certificate.load(der)

    @property
    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        der = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return asn1_keys.PrivateKeyInfo.load(der)


@dataclass(frozen=True)
class Pki:
    """Root CA -> government CA -> signer, plus a TSA under the root."""

    root: Identity
    government_ca: Identity
    signer: Identity
    tsa: Identity

    def issue_signer(self, common_name: str, organisation: str = SIGNER_ORGANISATION) -> Identity:
        """Another signer certificate under the same government CA."""
        return _issue(_name(common_name, organisation), self.government_ca, _SIGNER)


def make_pki(
    *,
    root_name: str = "Root CA Test Quốc gia",
    signer_name: str = SIGNER_NAME,
    organisation: str = SIGNER_ORGANISATION,
) -> Pki:
    """A fresh chain, valid from yesterday for ten years.

    Args:
        root_name: common name of the root CA; give another to make an unrelated CA.
        signer_name: common name of the signer.
        organisation: the signer's organisation (O).
    """
    root = _self_signed(_name(root_name, "Bộ Thông tin và Truyền thông"))
    government_ca = _issue(_name("CA phục vụ các cơ quan Nhà nước", "Ban Cơ yếu Chính phủ"), root, _CA)
    signer = _issue(_name(signer_name, organisation), government_ca, _SIGNER)
    tsa = _issue(_name("TSA Test", "Ban Cơ yếu Chính phủ"), root, _TSA)
    return Pki(root=root, government_ca=government_ca, signer=signer, tsa=tsa)


def write_trust_roots(directory: Path, *certificates: x509.Certificate, der: bool = False) -> Path:
    """Write ``certificates`` to ``directory`` as PEM (or DER) files; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    encoding = serialization.Encoding.DER if der else serialization.Encoding.PEM
    suffix = ".der" if der else ".pem"
    for index, certificate in enumerate(certificates):
        (directory / f"ca-{index}{suffix}").write_bytes(certificate.public_bytes(encoding))
    return directory


def sign_pdf(
    pdf: bytes,
    signer: Identity,
    pki: Pki,
    *,
    field_name: str = "Signature1",
    timestamped: bool = False,
    certify: MDPPerm | None = None,
) -> bytes:
    """Sign ``pdf`` in an incremental update, embedding the chain up to (not incl.) the root.

    Args:
        pdf: the document to sign (signed already or not).
        signer: whose certificate and key sign.
        pki: where the intermediate certificate and the TSA come from.
        field_name: the (new) signature field's name.
        timestamped: embed an RFC 3161 signature timestamp from the local TSA.
        certify: make it a certification signature with this DocMDP permission.
    """
    simple_signer = signers.SimpleSigner(
        signing_cert=signer.asn1_certificate,
        signing_key=signer.asn1_key,
        cert_registry=SimpleCertificateStore.from_certs([pki.government_ca.asn1_certificate]),
    )
    timestamper = _timestamper(pki) if timestamped else None
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason="Phát hành văn bản",
        location="Hà Giang",
        certify=certify is not None,
        docmdp_permissions=certify or MDPPerm.FILL_FORMS,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    output = signers.sign_pdf(writer, metadata, signer=simple_signer, timestamper=timestamper)
    return bytes(output.getvalue())


def replace_page_content(pdf: bytes, text: str = "Điều 1. Nội dung đã bị sửa.") -> bytes:
    """Append an incremental update that swaps page 1's content stream for forged text."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    forged = f"BT /F1 12 Tf 72 720 Td ({_ascii(text)}) Tj ET".encode()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=forged))
    writer.update_container(page)
    return _written(writer)


def add_text_annotation(pdf: bytes, note: str = "Đã xem") -> bytes:
    """Append an incremental update that adds a sticky-note annotation to page 1."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    annotation = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(n) for n in (50, 50, 70, 70)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject(note),
            generic.NameObject("/P"): page_ref,
        }
    )
    annotations = page.get("/Annots", generic.ArrayObject())
    annotations.append(writer.add_object(annotation))
    page["/Annots"] = annotations
    writer.update_container(page)
    return _written(writer)


def add_receipt_stamp(pdf: bytes, text: str = "DEN So: 125 Ngay: 02/01/2026") -> bytes:
    """Append an incremental update that adds a receipt stamp: a ``/Stamp`` annotation
    with its own appearance stream and font, as document systems put on arrival."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
            }
        )
    )
    drawing = f"1 0 0 RG 2 w 1 1 218 38 re S BT /F1 10 Tf 8 16 Td ({_ascii(text)}) Tj ET".encode()
    appearance = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): _rect(0, 0, 220, 40),
            generic.NameObject("/Resources"): generic.DictionaryObject(
                {generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/F1"): font})}
            ),
        },
        stream_data=drawing,
    )
    stamp = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Stamp"),
            generic.NameObject("/Rect"): _rect(360, 760, 580, 800),
            generic.NameObject("/Contents"): generic.TextStringObject(text),
            generic.NameObject("/P"): page_ref,
            generic.NameObject("/AP"): generic.DictionaryObject(
                {generic.NameObject("/N"): writer.add_object(appearance)}
            ),
        }
    )
    annotations = page.get("/Annots", generic.ArrayObject())
    annotations.append(writer.add_object(stamp))
    page["/Annots"] = annotations
    writer.update_container(page)
    return _written(writer)


def add_link_annotation(pdf: bytes, uri: str = "http://example.invalid/") -> bytes:
    """Append an incremental update that adds a link annotation (not markup) to page 1."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    link = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Link"),
            generic.NameObject("/Rect"): _rect(0, 0, 600, 800),
            generic.NameObject("/A"): generic.DictionaryObject(
                {
                    generic.NameObject("/S"): generic.NameObject("/URI"),
                    generic.NameObject("/URI"): generic.TextStringObject(uri),
                }
            ),
        }
    )
    annotations = page.get("/Annots", generic.ArrayObject())
    annotations.append(writer.add_object(link))
    page["/Annots"] = annotations
    writer.update_container(page)
    return _written(writer)


def _rect(*numbers: int) -> generic.ArrayObject:
    return generic.ArrayObject([generic.NumberObject(n) for n in numbers])


def flip_signed_byte(pdf: bytes, offset: int = 10) -> bytes:
    """Flip one bit of the byte at ``offset``, which must lie inside the first signed range.

    The default, 10, is in the binary comment on the header's second line: the file
    still parses, but the digest no longer matches.
    """
    start, length, _, _ = first_byte_range(pdf)
    if not start <= offset < start + length:
        raise ValueError(f"offset {offset} is outside the signed range {start}..{start + length}")
    flipped = bytearray(pdf)
    flipped[offset] ^= 0x01
    return bytes(flipped)


def zero_signature_contents(pdf: bytes) -> bytes:
    """Overwrite the first signature's /Contents with zeros: an unreadable CMS blob.

    /Contents lies outside the signed byte range, so only the signature dictionary breaks.
    """
    start, length, second, _ = first_byte_range(pdf)
    gap_start, gap_end = start + length, second  # "<hex...>" between the two ranges
    zeros = b"<" + b"0" * (gap_end - gap_start - 2) + b">"
    return pdf[:gap_start] + zeros + pdf[gap_end:]


def first_byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    """The four numbers of the first /ByteRange in the file."""
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    if match is None:
        raise ValueError("no /ByteRange: the PDF is not signed")
    a, b, c, d = (int(group) for group in match.groups())
    return a, b, c, d


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def _ascii(text: str) -> str:
    # A literal PDF string in a bare content stream; the forged text need not render well.
    return text.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")


def _timestamper(pki: Pki) -> timestamps.DummyTimeStamper:
    return timestamps.DummyTimeStamper(
        tsa_cert=pki.tsa.asn1_certificate,
        tsa_key=pki.tsa.asn1_key,
        certs_to_embed=SimpleCertificateStore.from_certs([pki.tsa.asn1_certificate]),
    )


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


_CA, _SIGNER, _TSA = "ca", "signer", "tsa"


def _self_signed(name: x509.Name) -> Identity:
    key = _new_key()
    return Identity(_build(name, name, key.public_key(), key, _CA), key)


def _issue(name: x509.Name, issuer: Identity, role: str) -> Identity:
    key = _new_key()
    certificate = _build(name, issuer.certificate.subject, key.public_key(), issuer.key, role)
    return Identity(certificate, key)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _build(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: rsa.RSAPublicKey,
    issuer_key: rsa.RSAPrivateKey,
    role: str,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    for extension, critical in _extensions(role):
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _extensions(role: str) -> list[tuple[x509.ExtensionType, bool]]:
    if role == _CA:
        return [
            (x509.BasicConstraints(ca=True, path_length=None), True),
            (_key_usage(key_cert_sign=True, crl_sign=True), True),
        ]
    leaf: list[tuple[x509.ExtensionType, bool]] = [(x509.BasicConstraints(ca=False, path_length=None), True)]
    if role == _TSA:
        return [
            *leaf,
            (_key_usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
        ]
    return [*leaf, (_key_usage(digital_signature=True, content_commitment=True), True)]


def _key_usage(**flags: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: flags.get(name, False) for name in names})
