"""PDF signature verification: real pyHanko signatures from a throwaway PKI, no mocks."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from archive.domain.errors import FileRejected
from archive.domain.signatures import (
    ModificationLevel,
    SignatureCoverage,
    SignatureReport,
    SignatureSummary,
    SignatureVerdict,
    decide_verdict,
)
from archive.samples import render_pdf
from indexing.signatures import TrustRoots, verify_pdf_signatures
from tests.support.signing import (
    SIGNER_NAME,
    Pki,
    add_text_annotation,
    flip_signed_byte,
    make_pki,
    replace_page_content,
    sign_pdf,
    write_trust_roots,
    zero_signature_contents,
)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    return sign_pdf(render_pdf(), pki.signer, pki)


@pytest.fixture(scope="module")
def roots(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> TrustRoots:
    directory = write_trust_roots(tmp_path_factory.mktemp("roots"), pki.root.certificate)
    return TrustRoots.from_directory(directory)


Save = Callable[[bytes], Path]


@pytest.fixture
def save(tmp_path: Path) -> Save:
    def _save(pdf: bytes) -> Path:
        path = tmp_path / "doc.pdf"
        path.write_bytes(pdf)
        return path

    return _save


def only(reports: list[SignatureReport]) -> SignatureReport:
    assert len(reports) == 1
    return reports[0]


def test_valid_and_trusted(pki: Pki, signed: bytes, roots: TrustRoots, save: Save) -> None:
    report = only(verify_pdf_signatures(save(signed), roots))

    assert report.verdict is SignatureVerdict.VALID
    assert (report.intact, report.valid, report.trusted) == (True, True, True)
    assert report.coverage is SignatureCoverage.ENTIRE_FILE
    assert report.modification_level is ModificationLevel.NONE
    assert report.field_name == "Signature1"
    assert report.signer_common_name == SIGNER_NAME
    assert report.signer_subject is not None and "O=UBND tỉnh Hà Giang" in report.signer_subject
    assert report.issuer is not None and "CN=CA phục vụ các cơ quan Nhà nước" in report.issuer
    assert report.serial == f"{pki.signer.certificate.serial_number:x}"
    assert report.signing_time is not None
    assert report.timestamp_time is None
    assert report.summary.startswith("Valid")


def test_valid_but_untrusted(signed: bytes, save: Save, tmp_path: Path) -> None:
    unrelated = make_pki(root_name="Unrelated Root CA").root.certificate
    roots = TrustRoots.from_directory(write_trust_roots(tmp_path / "other", unrelated))

    report = only(verify_pdf_signatures(save(signed), roots))

    assert report.verdict is SignatureVerdict.UNTRUSTED
    assert (report.intact, report.valid, report.trusted) == (True, True, False)
    assert "trust root" in report.summary


def test_page_content_replaced_after_signing_is_invalid(signed: bytes, roots: TrustRoots, save: Save) -> None:
    report = only(verify_pdf_signatures(save(replace_page_content(signed)), roots))

    assert report.verdict is SignatureVerdict.INVALID
    # The signed revision itself is untouched: only the later update betrays the forgery.
    assert report.intact and report.valid
    assert report.coverage is SignatureCoverage.ENTIRE_REVISION
    assert report.modification_level is ModificationLevel.OTHER
    assert "changed after signing" in report.summary


def test_flipped_byte_in_signed_range_is_invalid(signed: bytes, roots: TrustRoots, save: Save) -> None:
    report = only(verify_pdf_signatures(save(flip_signed_byte(signed)), roots))

    assert report.verdict is SignatureVerdict.INVALID
    assert report.intact is False
    assert "altered" in report.summary


def test_unsigned_pdf_has_no_reports(roots: TrustRoots, save: Save) -> None:
    reports = verify_pdf_signatures(save(render_pdf()), roots)

    assert reports == []
    assert SignatureSummary.of(reports) == SignatureSummary(signed=False, all_valid=False)


def test_two_signers_give_two_reports_in_signing_order(
    pki: Pki, signed: bytes, roots: TrustRoots, save: Save
) -> None:
    second = pki.issue_signer("Trần Thị Bình")
    twice = sign_pdf(signed, second, pki, field_name="Signature2")

    first, last = verify_pdf_signatures(save(twice), roots)

    assert (first.signer_common_name, last.signer_common_name) == (SIGNER_NAME, "Trần Thị Bình")
    assert first.verdict is SignatureVerdict.VALID
    assert first.coverage is SignatureCoverage.ENTIRE_REVISION
    assert first.modification_level is ModificationLevel.FORM_FILLING
    assert last.verdict is SignatureVerdict.VALID
    assert last.coverage is SignatureCoverage.ENTIRE_FILE
    assert SignatureSummary.of([first, last]) == SignatureSummary(signed=True, all_valid=True)


def test_added_annotation_is_reported_for_the_revision_it_follows(
    signed: bytes, roots: TrustRoots, save: Save
) -> None:
    # pyHanko's default diff policy has no ANNOTATIONS rule and called this OTHER;
    # our review clears new markup annotations (tests/unit/test_signature_revisions.py).
    report = only(verify_pdf_signatures(save(add_text_annotation(signed)), roots))

    assert report.intact and report.valid and report.trusted
    assert report.coverage is SignatureCoverage.ENTIRE_REVISION
    assert report.modification_level is ModificationLevel.ANNOTATIONS
    assert report.verdict is SignatureVerdict.VALID


def test_unreadable_signature_dictionary_gives_an_invalid_report(
    signed: bytes, roots: TrustRoots, save: Save
) -> None:
    report = only(verify_pdf_signatures(save(zero_signature_contents(signed)), roots))

    assert report.verdict is SignatureVerdict.INVALID
    assert report.field_name == "Signature1"
    assert report.signer_subject is None
    assert "cannot be read" in report.summary


def test_timestamp_token_time_is_reported(pki: Pki, roots: TrustRoots, save: Save) -> None:
    stamped = sign_pdf(render_pdf(), pki.signer, pki, timestamped=True)

    report = only(verify_pdf_signatures(save(stamped), roots))

    assert report.verdict is SignatureVerdict.VALID
    assert report.timestamp_time is not None
    assert abs(report.timestamp_time - datetime.now(UTC)) < timedelta(hours=1)


def test_expired_certificate_at_the_validation_moment_is_untrusted(
    signed: bytes, roots: TrustRoots, save: Save
) -> None:
    later = datetime.now(UTC) + timedelta(days=365 * 20)

    report = only(verify_pdf_signatures(save(signed), roots, moment=later))

    assert report.verdict is SignatureVerdict.UNTRUSTED
    assert report.intact and report.valid


def test_verification_never_writes_the_file(signed: bytes, roots: TrustRoots, save: Save) -> None:
    path = save(signed)
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    verify_pdf_signatures(path, roots)

    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(
    "content",
    [b"", b"PK\x03\x04 a zip, not a PDF", b"%PDF-1.7\n1 0 obj << /Type /Catalog", b"%PDF-1.4\n"],
)
def test_non_pdf_or_corrupt_pdf_is_rejected(content: bytes, roots: TrustRoots, save: Save) -> None:
    with pytest.raises(FileRejected):
        verify_pdf_signatures(save(content), roots)


def test_works_from_a_thread_without_an_event_loop(signed: bytes, roots: TrustRoots, save: Save) -> None:
    path = save(signed)
    results: list[SignatureVerdict] = []
    thread = threading.Thread(
        target=lambda: results.extend(r.verdict for r in verify_pdf_signatures(path, roots))
    )
    thread.start()
    thread.join()

    assert results == [SignatureVerdict.VALID]


async def test_works_while_an_event_loop_runs(signed: bytes, roots: TrustRoots, save: Save) -> None:
    path = save(signed)

    called_inside_loop = verify_pdf_signatures(path, roots)
    from_worker_thread = await asyncio.to_thread(verify_pdf_signatures, path, roots)

    assert [r.verdict for r in called_inside_loop] == [SignatureVerdict.VALID]
    assert [r.verdict for r in from_worker_thread] == [SignatureVerdict.VALID]


def test_trust_roots_load_pem_bundles_and_der_and_skip_other_files(pki: Pki, tmp_path: Path) -> None:
    pem = serialization.Encoding.PEM
    bundle = b"".join(c.public_bytes(pem) for c in (pki.root.certificate, pki.government_ca.certificate))
    (tmp_path / "bundle.crt").write_bytes(bundle)
    write_trust_roots(tmp_path, pki.tsa.certificate, der=True)
    (tmp_path / "README.txt").write_text("not a certificate")

    roots = TrustRoots.from_directory(tmp_path)

    assert len(roots.certificates) == 3


def test_trust_roots_refuse_an_unreadable_certificate(tmp_path: Path) -> None:
    (tmp_path / "broken.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")

    with pytest.raises(ValueError, match=r"broken\.pem"):
        TrustRoots.from_directory(tmp_path)


@pytest.mark.parametrize(
    ("intact", "valid", "trusted", "allowed", "expected"),
    [
        (True, True, True, True, SignatureVerdict.VALID),
        (True, True, False, True, SignatureVerdict.UNTRUSTED),
        (True, True, True, False, SignatureVerdict.INVALID),
        (True, True, False, False, SignatureVerdict.INVALID),
        (False, True, True, True, SignatureVerdict.INVALID),
        (True, False, True, True, SignatureVerdict.INVALID),
    ],
)
def test_verdict_rules(
    intact: bool, valid: bool, trusted: bool, allowed: bool, expected: SignatureVerdict
) -> None:
    verdict = decide_verdict(intact=intact, valid=valid, trusted=trusted, modifications_allowed=allowed)

    assert verdict is expected
