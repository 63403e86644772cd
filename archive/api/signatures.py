"""GraphQL types for a record's digital signatures, as the VERIFY step found them."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry

from archive.domain import signatures as domain

strawberry.enum(
    domain.SignatureVerdict,
    description="VALID: intact, valid and trusted. UNTRUSTED: intact and valid, but the chain does "
    "not reach a configured trust root. INVALID: altered, broken or changed after signing.",
)
strawberry.enum(domain.SignatureCoverage, description="How much of the file the signed byte range covers.")
strawberry.enum(
    domain.ModificationLevel, description="What the updates appended after signing do, mildest first."
)
strawberry.enum(
    domain.ChangePermission,
    description="What the signer lets later updates do: a certification signature's DocMDP "
    "permission, or ANNOTATIONS (form filling and annotations) for an approval signature.",
)


@strawberry.type(description="One incremental update appended after a signature, judged against it.")
class RevisionChange:
    revision: int = strawberry.field(description="The revision of the file, from 1.")
    modification_level: domain.ModificationLevel = strawberry.field(
        description="What the file at this revision changes compared with the signed revision."
    )
    permitted: bool = strawberry.field(
        description="The change is within the signer's permission (never for OTHER)."
    )


@strawberry.type(
    description="One digital signature of the record's PDF, verified offline at the deposit time."
)
class Signature:
    field_name: str = strawberry.field(description="The PDF signature field's name.")
    signer_subject: str | None = strawberry.field(description="The signer certificate's subject (RFC 4514).")
    signer_common_name: str | None = strawberry.field(description="The signer's common name (CN).")
    issuer: str | None = strawberry.field(description="The signer certificate's issuer (RFC 4514).")
    serial: str | None = strawberry.field(description="The signer certificate's serial number, hex.")
    signing_time: datetime | None = strawberry.field(
        description="When the signer claims to have signed (not evidence)."
    )
    timestamp_time: datetime | None = strawberry.field(
        description="The time in an embedded RFC 3161 timestamp token, when there is a sound one."
    )
    intact: bool = strawberry.field(description="The signed bytes are unchanged.")
    valid: bool = strawberry.field(description="The cryptographic signature verifies.")
    trusted: bool = strawberry.field(description="The certificate chain leads to a configured trust root.")
    coverage: domain.SignatureCoverage = strawberry.field(description="How much of the file is signed.")
    modification_level: domain.ModificationLevel = strawberry.field(
        description="What was appended after signing."
    )
    verdict: domain.SignatureVerdict = strawberry.field(description="The bottom line.")
    summary: str = strawberry.field(description="The verdict and its reasons, for people.")
    signed_revision: int | None = strawberry.field(
        description="The revision of the file this signature covers, from 1 "
        "(null when verified before revisions were recorded)."
    )
    revision_count: int | None = strawberry.field(description="How many revisions the file has.")
    permission: domain.ChangePermission | None = strawberry.field(
        description="What the signer lets later updates do (null when unknown)."
    )
    changes_permitted: bool | None = strawberry.field(
        description="Every update after this signature is within its permission (null when unknown)."
    )
    later_revisions: list[RevisionChange] = strawberry.field(
        description="Each update appended after this signature, in order, with what it changed."
    )

    @classmethod
    def from_domain(cls, r: domain.SignatureReport) -> Signature:
        return cls(
            field_name=r.field_name,
            signer_subject=r.signer_subject,
            signer_common_name=r.signer_common_name,
            issuer=r.issuer,
            serial=r.serial,
            signing_time=r.signing_time,
            timestamp_time=r.timestamp_time,
            intact=r.intact,
            valid=r.valid,
            trusted=r.trusted,
            coverage=r.coverage,
            modification_level=r.modification_level,
            verdict=r.verdict,
            summary=r.summary,
            signed_revision=r.signed_revision,
            revision_count=r.revision_count,
            permission=r.permission,
            changes_permitted=r.changes_permitted,
            later_revisions=[
                RevisionChange(
                    revision=c.revision, modification_level=c.modification_level, permitted=c.permitted
                )
                for c in r.later_revisions
            ],
        )


@strawberry.type(description="The document-level view of the signatures.")
class SignatureStatus:
    verified: bool = strawberry.field(description="Whether the signatures have been checked yet.")
    signed: bool = strawberry.field(description="The document carries at least one signature.")
    all_valid: bool = strawberry.field(
        description="Signed, and every signature is VALID (false for an unsigned document)."
    )


@strawberry.type(description="A PNG preview of one page.")
class Thumbnail:
    page: int = strawberry.field(description="Page number, from 1.")
    url: str = strawberry.field(
        description=(
            "A short-lived signed link to the PNG (/previews/…): the same link for every request in "
            "a window (ARCHIVE_PREVIEW_URL_TTL_SECONDS, 10 minutes by default), cacheable until it "
            "expires, so browsers and caches keep the image."
        )
    )
    expires_at: datetime = strawberry.field(description="When the link stops working.")
    _png: strawberry.Private[bytes]

    @strawberry.field(description="The preview inline as a data: URL (image/png, base64); prefer url.")
    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self._png).decode("ascii")
