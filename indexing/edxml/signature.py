"""The edXML envelope's XML signature (XMLDSig), verified offline with signxml.

Many systems on the interchange fill the header's ``Signature`` slot with a
placeholder: an element outside the XMLDSig namespace, an empty value, a fixed
digest copied from a sample, or SHA-1. Such a slot proves nothing and is not a
forgery either, so the package is accepted and shown as unverified
(``PLACEHOLDER``). A real signature (XMLDSig namespace, SHA-2, a value and a
certificate) must verify: when it does not, the package was altered or forged
and is refused. One that verifies is ``VALID`` when its certificate chains to a
configured trust root at the validation time, ``UNTRUSTED`` otherwise.

Nothing is fetched: the certificates are the ones in ``KeyInfo`` and the trust
roots on disk (as for PDF signatures, ``indexing.signatures.TrustRoots``).
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from lxml import etree
from signxml.exceptions import InvalidInput, SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from archive.domain.edxml import EnvelopeSignature, EnvelopeSignatureState
from archive.domain.errors import PackageRefused
from indexing.signatures import TrustRoots

logger = logging.getLogger(__name__)

DSIG = "http://www.w3.org/2000/09/xmldsig#"
_SHA1 = ("sha1", "rsa-sha1", "dsa-sha1", "hmac-sha1")
# Digests copied from interchange samples into the Signature slot of real packages.
KNOWN_PLACEHOLDER_DIGESTS = frozenset({"FwgIqsSYJshUS2+wlOM61L+q7Aw="})
_MAX_CHAIN = 8


def verify_envelope(
    root: Any, trust_roots: TrustRoots, *, moment: datetime | None = None
) -> EnvelopeSignature:
    """The verdict on the package's envelope signature (``root`` is the parsed ``edXML``).

    Raises:
        PackageRefused: part ``Signature``, when a real signature does not verify.
    """
    element = _signature_element(root)
    if element is None:
        return EnvelopeSignature(EnvelopeSignatureState.ABSENT, "The envelope carries no XML signature.")
    placeholder = _placeholder_reason(element)
    if placeholder is not None:
        return EnvelopeSignature(EnvelopeSignatureState.PLACEHOLDER, f"Unverified: {placeholder}.")
    certificate = _verified_signer(root, moment)
    subject = certificate.subject.rfc4514_string()
    if _chains_to_a_root(certificate, _embedded(element), trust_roots, moment or datetime.now(UTC)):
        return EnvelopeSignature(EnvelopeSignatureState.VALID, "Valid: verifies and is trusted.", subject)
    return EnvelopeSignature(
        EnvelopeSignatureState.UNTRUSTED,
        "Untrusted: verifies, but the certificate does not lead to a configured trust root.",
        subject,
    )


def _signature_element(root: Any) -> Any:
    # The slot is edXMLHeader/Signature; a placeholder may use any namespace.
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == "Signature":
            return element
    return None


def _placeholder_reason(element: Any) -> str | None:
    if etree.QName(element).namespace != DSIG:
        return "the Signature element is not in the XMLDSig namespace"
    value = _first_text(element, "SignatureValue")
    if not value:
        return "the signature has no value"
    if not _first_text(element, "X509Certificate"):
        return "the signature names no certificate"
    algorithms = [
        a.get("Algorithm", "") for a in element.iter() if _local(a) in ("SignatureMethod", "DigestMethod")
    ]
    if any(algorithm.lower().endswith(_SHA1) for algorithm in algorithms):
        return "the signature uses SHA-1, which proves nothing today"
    digests = {(_text(d)) for d in element.iter() if _local(d) == "DigestValue"}
    if digests & KNOWN_PLACEHOLDER_DIGESTS:
        return "the digest is a fixed value copied from a sample"
    return None


def _verified_signer(root: Any, moment: datetime | None) -> x509.Certificate:
    config = SignatureConfiguration(location=".//", expect_references=1, verification_time=moment)
    certificate = _leaf(root)
    try:
        XMLVerifier().verify(root, x509_cert=certificate, expect_config=config)
    except (SignXMLException, InvalidInput, InvalidSignature, ValueError) as error:
        logger.info("an envelope signature does not verify: %s", error)
        raise PackageRefused("Signature", f"the XML signature does not verify ({error})") from None
    return certificate


def _leaf(root: Any) -> x509.Certificate:
    element = _signature_element(root)
    certificates = _embedded(element)
    if not certificates:
        raise PackageRefused("Signature", "the XML signature's certificate cannot be read")
    return certificates[0]  # XMLDSig lists the signer's first


def _embedded(element: Any) -> list[x509.Certificate]:
    found: list[x509.Certificate] = []
    for node in element.iter():
        if _local(node) != "X509Certificate":
            continue
        try:
            der = _base64_der(_text(node))
            found.append(x509.load_der_x509_certificate(der))
        except ValueError:
            raise PackageRefused("Signature", "an X509Certificate in KeyInfo is not a certificate") from None
    return found


def _base64_der(text: str) -> bytes:
    return base64.b64decode("".join(text.split()), validate=True)


def _chains_to_a_root(
    leaf: x509.Certificate, embedded: list[x509.Certificate], roots: TrustRoots, moment: datetime
) -> bool:
    anchors = [x509.load_der_x509_certificate(der) for der in roots.certificates]
    pool = [c for c in embedded if c != leaf]
    current = leaf
    for _ in range(_MAX_CHAIN):
        if not _valid_at(current, moment):
            return False
        if any(_issued_by(current, anchor) for anchor in anchors):
            return True
        issuer = next((c for c in pool if _issued_by(current, c)), None)
        if issuer is None:
            return False
        pool.remove(issuer)
        current = issuer
    return False


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _valid_at(certificate: x509.Certificate, moment: datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _first_text(element: Any, name: str) -> str:
    for node in element.iter():
        if _local(node) == name:
            return _text(node)
    return ""


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _text(node: Any) -> str:
    return "".join(node.itertext()).strip()
