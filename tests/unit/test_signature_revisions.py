"""Signatures on documents changed after signing: each signature is reported for the
revision it covers, with every later update judged against the signer's permission.

Real pyHanko signatures and real pyHanko incremental updates (tests/support/signing.py):
a receipt stamp or a note never reads as tampering; changed page content always does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pyhanko.sign.fields import MDPPerm

from archive.domain.signatures import (
    ChangePermission,
    ModificationLevel,
    RevisionChange,
    SignatureReport,
    SignatureVerdict,
    permits,
)
from archive.samples import render_pdf
from indexing.signatures import TrustRoots, verify_pdf_signatures
from tests.support.signing import (
    Pki,
    add_link_annotation,
    add_receipt_stamp,
    add_text_annotation,
    make_pki,
    replace_page_content,
    sign_pdf,
    write_trust_roots,
)

ANNOTATED = RevisionChange(revision=3, modification_level=ModificationLevel.ANNOTATIONS, permitted=True)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    return sign_pdf(render_pdf(), pki.signer, pki)


@pytest.fixture(scope="module")
def roots(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> TrustRoots:
    return TrustRoots.from_directory(
        write_trust_roots(tmp_path_factory.mktemp("roots"), pki.root.certificate)
    )


Verify = Callable[[bytes], list[SignatureReport]]


@pytest.fixture
def verify(tmp_path: Path, roots: TrustRoots) -> Verify:
    def _verify(pdf: bytes) -> list[SignatureReport]:
        path = tmp_path / "doc.pdf"
        path.write_bytes(pdf)
        return verify_pdf_signatures(path, roots)

    return _verify


def test_an_untouched_signature_covers_the_last_revision(signed: bytes, verify: Verify) -> None:
    [report] = verify(signed)

    # render_pdf writes one revision; the signature appends the second.
    assert (report.signed_revision, report.revision_count) == (2, 2)
    assert report.later_revisions == ()
    assert report.permission is ChangePermission.ANNOTATIONS  # an approval signature
    assert report.changes_permitted is True
    assert "Covers revision 2 of 2" in report.summary


@pytest.mark.parametrize("annotate", [add_receipt_stamp, add_text_annotation], ids=["stamp", "note"])
def test_a_receipt_stamp_or_a_note_is_a_permitted_annotation(
    signed: bytes, verify: Verify, annotate: Callable[[bytes], bytes]
) -> None:
    [report] = verify(annotate(signed))

    assert report.verdict is SignatureVerdict.VALID
    assert report.modification_level is ModificationLevel.ANNOTATIONS
    assert (report.signed_revision, report.revision_count) == (2, 3)
    assert report.later_revisions == (ANNOTATED,)
    assert report.changes_permitted is True
    assert "revision 3: annotations (permitted)" in report.summary


def test_changed_page_content_is_invalid_and_names_its_revision(signed: bytes, verify: Verify) -> None:
    [report] = verify(replace_page_content(signed))

    assert report.verdict is SignatureVerdict.INVALID
    assert report.later_revisions == (
        RevisionChange(revision=3, modification_level=ModificationLevel.OTHER, permitted=False),
    )
    assert report.changes_permitted is False


def test_content_changed_after_a_stamp_is_invalid_and_the_stamp_is_still_told_apart(
    signed: bytes, verify: Verify
) -> None:
    [report] = verify(replace_page_content(add_receipt_stamp(signed)))

    assert report.verdict is SignatureVerdict.INVALID
    assert report.later_revisions == (
        ANNOTATED,
        RevisionChange(revision=4, modification_level=ModificationLevel.OTHER, permitted=False),
    )
    assert "revision 4: other (not permitted)" in report.summary


def test_a_link_is_not_markup_and_stays_unexplained(signed: bytes, verify: Verify) -> None:
    # A page-wide link changes what clicking the page does: not a stamp.
    [report] = verify(add_link_annotation(signed))

    assert report.verdict is SignatureVerdict.INVALID
    assert report.modification_level is ModificationLevel.OTHER


def test_a_countersignature_after_a_stamp_keeps_both_valid(pki: Pki, signed: bytes, verify: Verify) -> None:
    countersigned = sign_pdf(
        add_receipt_stamp(signed), pki.issue_signer("Trần Thị Bình"), pki, field_name="S2"
    )

    first, second = verify(countersigned)

    assert first.verdict is SignatureVerdict.VALID
    assert [c.modification_level for c in first.later_revisions] == [
        ModificationLevel.ANNOTATIONS,
        ModificationLevel.ANNOTATIONS,  # cumulative: the signature adds form filling, the stamp stays
    ]
    assert (second.verdict, second.signed_revision, second.revision_count) == (SignatureVerdict.VALID, 4, 4)


@pytest.mark.parametrize(
    ("docmdp", "permission", "verdict"),
    [
        (MDPPerm.NO_CHANGES, ChangePermission.NO_CHANGES, SignatureVerdict.INVALID),
        (MDPPerm.FILL_FORMS, ChangePermission.FORM_FILLING, SignatureVerdict.INVALID),
        (MDPPerm.ANNOTATE, ChangePermission.ANNOTATIONS, SignatureVerdict.VALID),
    ],
)
def test_a_certification_signature_decides_whether_a_stamp_is_allowed(
    pki: Pki, verify: Verify, docmdp: MDPPerm, permission: ChangePermission, verdict: SignatureVerdict
) -> None:
    certified = sign_pdf(render_pdf(), pki.signer, pki, certify=docmdp)

    [report] = verify(add_receipt_stamp(certified))

    assert report.permission is permission
    assert report.verdict is verdict
    [change] = report.later_revisions
    assert change.modification_level is ModificationLevel.ANNOTATIONS
    assert change.permitted is (verdict is SignatureVerdict.VALID)
    if verdict is SignatureVerdict.INVALID:
        assert "not permitted by the signer's modification policy" in report.summary


@pytest.mark.parametrize(
    ("permission", "allowed"),
    [
        (ChangePermission.NO_CHANGES, {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES}),
        (
            ChangePermission.FORM_FILLING,
            {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING},
        ),
        (ChangePermission.ANNOTATIONS, set(ModificationLevel) - {ModificationLevel.OTHER}),
    ],
)
def test_permission_rules(permission: ChangePermission, allowed: set[ModificationLevel]) -> None:
    assert {level for level in ModificationLevel if permits(permission, level)} == allowed
