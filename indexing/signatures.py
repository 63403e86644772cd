"""PDF signature verification with pyHanko, offline, against configured trust roots.

``verify_pdf_signatures`` reads a PDF (never writes it), validates every filled
signature field and returns one :class:`~archive.domain.signatures.SignatureReport`
per field, in signing order. The verdict rules live in the domain module.

What "trusted" means here: the signer's certificate chains, through the
certificates embedded in the signature, to one of the configured trust roots;
every certificate on the path is within its validity period at the validation
time; the signer's key usage allows signing (digitalSignature or
nonRepudiation); and an embedded timestamp, if any, chains to a trust root too.
Validation is fully offline: no OCSP or CRL request and no AIA chasing
(``allow_fetching=False``), with revocation checking in ``soft-fail`` mode.
Soft-fail means missing revocation information is not an error, so a
certificate revoked after issuance still looks trusted here. That is the price
of running on isolated networks; revocation must be judged elsewhere (for
instance when the document arrives through the national exchange platform).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TypedDict, TypeVar

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel as PyHankoModificationLevel
from pyhanko.sign.fields import MDPPerm, enumerate_sig_fields
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from archive.domain.errors import FileRejected
from archive.domain.signatures import (
    ChangePermission,
    ModificationLevel,
    RevisionChange,
    SignatureCoverage,
    SignatureReport,
    SignatureVerdict,
    content_altered,
    decide_verdict,
    permits,
)
from indexing.revisions import RevisionFinding, RevisionReview

logger = logging.getLogger(__name__)

_CERTIFICATE_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
# Vietnamese CAs issue signing certificates with either bit (often both).
_SIGNER_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
_HEADER_WINDOW = 1024  # readers accept junk before %PDF- within the first KiB

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TrustRoots:
    """The certificates a signature chain must end in (DER-encoded)."""

    certificates: tuple[bytes, ...] = ()

    @classmethod
    def from_directory(cls, directory: Path) -> TrustRoots:
        """Load every PEM or DER certificate (``.pem .crt .cer .der``) in ``directory``.

        A PEM file may hold several certificates. Other files are ignored.

        Raises:
            ValueError: a certificate file cannot be parsed (a misconfiguration
                must not silently shrink the trust list).
        """
        found: list[bytes] = []
        for path in sorted(directory.iterdir()):
            if path.is_file() and path.suffix.lower() in _CERTIFICATE_SUFFIXES:
                found.extend(_load_certificates(path))
        return cls(tuple(found))

    def _asn1(self) -> list[asn1_x509.Certificate]:
        return [asn1_x509.Certificate.load(der) for der in self.certificates]


def verify_pdf_signatures(
    path: Path, trust_roots: TrustRoots, *, moment: datetime | None = None
) -> list[SignatureReport]:
    """Verify every signature in the PDF at ``path``; an unsigned PDF gives ``[]``.

    Synchronous, for the worker. Safe from any thread: it runs pyHanko's async
    validation on a private event loop, and on a private thread when the calling
    thread already runs a loop (async code should still prefer
    ``asyncio.to_thread`` so as not to block its loop).

    Args:
        path: the PDF; opened read-only.
        trust_roots: the certificates chains must lead to.
        moment: the validation time (timezone-aware); now if omitted. Pin it, for
            instance to the deposit time, to keep verdicts stable as certificates expire.

    Returns:
        One report per filled signature field, in signing order; fields that
        cannot be read come last, with verdict ``INVALID``. Document timestamps
        (``/DocTimeStamp``) are not signatures of a person and are left out.

    Raises:
        FileRejected: not a PDF, corrupt beyond reading, or encrypted.
    """
    with path.open("rb") as stream:
        reader = _open_reader(stream)
        return _run_sync(_verify_all(reader, trust_roots, moment))


def _load_certificates(path: Path) -> Iterator[bytes]:
    data = path.read_bytes()
    blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
    for der in blocks:
        try:
            x509.load_der_x509_certificate(der)
        except ValueError as error:
            raise ValueError(f"{path}: not a certificate ({error})") from error
        yield der


def _open_reader(stream: BinaryIO) -> PdfFileReader:
    if b"%PDF-" not in stream.read(_HEADER_WINDOW):
        raise FileRejected("not a PDF: no %PDF- header")
    stream.seek(0)
    try:
        reader = PdfFileReader(stream, strict=False)
        _ = reader.root  # the catalogue: fail here rather than halfway through
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise FileRejected(f"corrupt PDF: {error}") from error
    if reader.encrypted:
        raise FileRejected("encrypted PDF")
    return reader


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # asyncio.run refuses to nest inside a running loop: give it a thread of its own.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-signatures") as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _verify_all(
    reader: PdfFileReader, trust_roots: TrustRoots, moment: datetime | None
) -> list[SignatureReport]:
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise FileRejected(f"corrupt form fields: {error}") from error
    ordered: list[tuple[float, SignatureReport]] = []
    for name, _, field in fields:
        outcome = await _verify_field(reader, name, field, trust_roots, moment)
        if outcome is not None:
            ordered.append(outcome)
    ordered.sort(key=lambda pair: pair[0])  # stable: unreadable fields keep their order
    return [report for _, report in ordered]


async def _verify_field(
    reader: PdfFileReader,
    name: str,
    field: Any,
    trust_roots: TrustRoots,
    moment: datetime | None,
) -> tuple[float, SignatureReport] | None:
    try:
        embedded = EmbeddedPdfSignature(reader, field, name)
    except Exception as error:  # any defect of the dictionary means INVALID
        logger.warning("unreadable signature field %r", name, exc_info=True)
        return float("inf"), _unreadable(name, None, f"the signature cannot be read: {error}")
    if embedded.sig_object_type == "/DocTimeStamp":
        return None
    context = ValidationContext(
        trust_roots=trust_roots._asn1(),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )
    review = RevisionReview()  # one per signature: it keeps that signature's findings
    try:
        status = await async_validate_pdf_signature(
            embedded,
            signer_validation_context=context,
            key_usage_settings=_SIGNER_KEY_USAGE,
            diff_policy=review,
        )
    except Exception as error:  # a signature that cannot be validated is INVALID
        logger.warning("signature %r cannot be validated", name, exc_info=True)
        certificate = _signer_certificate(embedded)
        return float("inf"), _unreadable(name, certificate, f"cannot be validated: {error}")
    revisions = _revisions(reader, embedded, review.findings)
    return float(embedded.signed_revision), _report(name, status, revisions)


@dataclass(frozen=True, slots=True)
class _Revisions:
    signed: int  # from 1
    count: int
    permission: ChangePermission
    later: tuple[RevisionChange, ...]


def _revisions(
    reader: PdfFileReader, embedded: EmbeddedPdfSignature, findings: list[RevisionFinding]
) -> _Revisions:
    permission = _permission(embedded.docmdp_level)
    later = tuple(
        RevisionChange(
            revision=f.revision + 1,
            modification_level=_modification(f.level),
            permitted=permits(permission, _modification(f.level)),
        )
        for f in findings
    )
    return _Revisions(embedded.signed_revision + 1, reader.xrefs.total_revisions, permission, later)


_PERMISSIONS = {
    MDPPerm.NO_CHANGES: ChangePermission.NO_CHANGES,
    MDPPerm.FILL_FORMS: ChangePermission.FORM_FILLING,
    MDPPerm.ANNOTATE: ChangePermission.ANNOTATIONS,
}


def _permission(docmdp: MDPPerm | None) -> ChangePermission:
    # An approval signature (no DocMDP) leaves form filling and annotations open.
    return ChangePermission.ANNOTATIONS if docmdp is None else _PERMISSIONS[docmdp]


def _signer_certificate(embedded: EmbeddedPdfSignature) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(embedded.signer_cert.dump())
    except Exception:  # best effort: the report already says INVALID
        return None


def _unreadable(name: str, certificate: x509.Certificate | None, reason: str) -> SignatureReport:
    return SignatureReport(
        field_name=name,
        **_signer_fields(certificate),
        signing_time=None,
        timestamp_time=None,
        intact=False,
        valid=False,
        trusted=False,
        coverage=SignatureCoverage.UNCLEAR,
        modification_level=ModificationLevel.OTHER,
        verdict=SignatureVerdict.INVALID,
        summary=f"Invalid: {reason}.",
    )


class _SignerFields(TypedDict):
    signer_subject: str | None
    signer_common_name: str | None
    issuer: str | None
    serial: str | None


def _signer_fields(certificate: x509.Certificate | None) -> _SignerFields:
    if certificate is None:
        return {"signer_subject": None, "signer_common_name": None, "issuer": None, "serial": None}
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = names[0].value if names else None
    return {
        "signer_subject": certificate.subject.rfc4514_string(),
        "signer_common_name": common_name if isinstance(common_name, str) else None,
        "issuer": certificate.issuer.rfc4514_string(),
        "serial": f"{certificate.serial_number:x}",
    }


def _report(name: str, status: Any, revisions: _Revisions) -> SignatureReport:
    coverage = _coverage(status.coverage)
    modification = _modification(status.modification_level)
    timestamp = status.timestamp_validity
    timestamp_sound = timestamp is None or (timestamp.intact and timestamp.valid)
    checks = _Checks(
        intact=bool(status.intact),
        valid=bool(status.valid) and timestamp_sound,
        trusted=bool(status.trusted) and (timestamp is None or bool(timestamp.trusted)),
        content_altered=content_altered(coverage, modification),
        policy_violated=status.docmdp_ok is False,
        timestamp_sound=timestamp_sound,
        trust_problem=getattr(status.trust_problem_indic, "name", None),
    )
    verdict = decide_verdict(
        intact=checks.intact,
        valid=checks.valid,
        trusted=checks.trusted,
        modifications_allowed=not (checks.content_altered or checks.policy_violated),
    )
    signer = x509.load_der_x509_certificate(status.signing_cert.dump())
    return SignatureReport(
        field_name=name,
        **_signer_fields(signer),
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp.timestamp if timestamp is not None and timestamp_sound else None,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        coverage=coverage,
        modification_level=modification,
        verdict=verdict,
        summary=_summary(verdict, checks, modification) + _revision_note(revisions),
        signed_revision=revisions.signed,
        revision_count=revisions.count,
        permission=revisions.permission,
        later_revisions=revisions.later,
    )


def _revision_note(revisions: _Revisions) -> str:
    if not revisions.later:
        return f" Covers revision {revisions.signed} of {revisions.count}."
    changes = ", ".join(
        f"revision {c.revision}: {c.modification_level.value.replace('_', ' ')}"
        f" ({'permitted' if c.permitted else 'not permitted'})"
        for c in revisions.later
    )
    return f" Covers revision {revisions.signed} of {revisions.count}; after it, {changes}."


@dataclass(frozen=True, slots=True)
class _Checks:
    intact: bool
    valid: bool
    trusted: bool
    content_altered: bool
    policy_violated: bool
    timestamp_sound: bool
    trust_problem: str | None


def _summary(verdict: SignatureVerdict, checks: _Checks, modification: ModificationLevel) -> str:
    if verdict is SignatureVerdict.INVALID:
        return "Invalid: " + "; ".join(_invalid_reasons(checks)) + "."
    later = _later_updates(modification)
    if verdict is SignatureVerdict.UNTRUSTED:
        problem = f" ({checks.trust_problem})" if checks.trust_problem else ""
        return (
            "Untrusted: the signature is intact and valid, but the certificate chain does "
            f"not lead to a configured trust root{problem}{later}."
        )
    return f"Valid: intact, cryptographically valid and trusted{later}."


def _invalid_reasons(checks: _Checks) -> Iterator[str]:
    if not checks.intact:
        yield "the signed bytes were altered after signing"
    if not checks.timestamp_sound:
        yield "the embedded timestamp token does not verify"
    elif not checks.valid:
        yield "the cryptographic signature does not verify"
    if checks.content_altered:
        yield "the document was changed after signing in ways that may alter its content"
    elif checks.policy_violated:
        yield "changes after signing are not permitted by the signer's modification policy"


def _later_updates(modification: ModificationLevel) -> str:
    if modification is ModificationLevel.NONE:
        return ""
    return f"; later updates: {modification.value.replace('_', ' ')}"


def _coverage(level: SignatureCoverageLevel | None) -> SignatureCoverage:
    if level == SignatureCoverageLevel.ENTIRE_FILE:
        return SignatureCoverage.ENTIRE_FILE
    if level == SignatureCoverageLevel.ENTIRE_REVISION:
        return SignatureCoverage.ENTIRE_REVISION
    # CONTIGUOUS_BLOCK_FROM_START leaves part of the signed revision (its xref) uncovered.
    return SignatureCoverage.UNCLEAR


_MODIFICATIONS = {
    PyHankoModificationLevel.NONE: ModificationLevel.NONE,
    PyHankoModificationLevel.LTA_UPDATES: ModificationLevel.LTA_UPDATES,
    PyHankoModificationLevel.FORM_FILLING: ModificationLevel.FORM_FILLING,
    PyHankoModificationLevel.ANNOTATIONS: ModificationLevel.ANNOTATIONS,
    PyHankoModificationLevel.OTHER: ModificationLevel.OTHER,
}


def _modification(level: PyHankoModificationLevel | None) -> ModificationLevel:
    if level is None:
        return ModificationLevel.OTHER  # pyHanko could not analyse the later updates
    return _MODIFICATIONS.get(level, ModificationLevel.OTHER)
