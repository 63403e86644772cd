"""The lifecycle slice of the schema: corrections with history, relations, revocation.

Resolvers parse, call ``archive.services.corrections`` / ``archive.services.relations``
and map; every rule and every audit entry lives in those services.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from archive.api.context import Context
from archive.api.records import ValidationError
from archive.api.results import ForbiddenError, NotFoundError
from archive.api.types import GlobalID, Record, from_global_id
from archive.domain import records as domain
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound, VersionConflict
from archive.domain.relations import ExternalReference, RecordStatus, Relation, RelationKind
from archive.domain.versions import FieldChange as DomainFieldChange
from archive.domain.versions import MetadataVersion as DomainVersion
from archive.services import corrections, relations
from archive.services.relations import ShownRelation
from archive.services.search import get_record

Info = strawberry.Info[Context, None]

strawberry.enum(
    RelationKind,
    name="RelationType",
    description=(
        "How a record relates to another document, read from the record: replaces / replaced by, "
        "revokes / revoked by, amends / amended by, responds to (edXML ResponseFor) / responded by."
    ),
)
strawberry.enum(
    RecordStatus,
    description="ACTIVE; REVOKED (out of default search, still retrievable); REPLACED (found, marked).",
)


def raw_record_id(value: str) -> str:
    """The UUID behind a Record's Relay id, or the value as given (a bare UUID)."""
    parsed = from_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "Record" else value


@strawberry.type(
    description="A document named by issuer, number/notation and date (not necessarily archived)."
)
class DocumentReference:
    issuer_code: str = strawberry.field(description="Mã định danh of the issuing agency.")
    document_number: str = strawberry.field(description="Number and notation as printed, e.g. 12/QĐ-UBND.")
    issue_date: date | None = strawberry.field(description="Ngày ban hành, when the reference gives it.")

    @classmethod
    def from_domain(cls, ref: ExternalReference | None) -> DocumentReference | None:
        if ref is None:
            return None
        return cls(
            issuer_code=ref.issuer_code, document_number=ref.document_number, issue_date=ref.issue_date
        )


@strawberry.type(
    description=(
        "One relation of a record. The related record is shown only when the caller may read it; "
        "otherwise only the reference the record declared (if any), exactly as for a document that "
        "is not in the archive. A relation to an unreadable record declared without a reference is "
        "not listed at all."
    )
)
class RecordRelation:
    type: RelationKind = strawberry.field(description="The relation, read from the record asked about.")
    record: Record | None = strawberry.field(description="The related record, when archived and readable.")
    reference: DocumentReference | None = strawberry.field(description="The declared reference, if any.")
    created_at: datetime = strawberry.field(description="When the relation was declared.")

    @classmethod
    def from_shown(cls, shown: ShownRelation) -> RecordRelation:
        return cls(
            type=shown.kind,
            record=None if shown.record is None else Record.from_domain(shown.record, pages_loaded=False),
            reference=DocumentReference.from_domain(shown.reference),
            created_at=shown.created_at,
        )


@strawberry.type(description="Where a record stands in its life, and what set it.")
class RecordLifecycle:
    status: RecordStatus = strawberry.field(description="ACTIVE, REVOKED or REPLACED.")
    changed_at: datetime | None = strawberry.field(description="When it was revoked or replaced.")
    by: RecordRelation | None = strawberry.field(
        description=(
            "The revoking or replacing document as far as the caller may see it (see RecordRelation); "
            "null when the revocation named no document, or named one the caller may not read."
        )
    )


@strawberry.type(description="One metadata field that a version changed.")
class FieldChange:
    field: str = strawberry.field(description="The field (snake_case domain name, e.g. issue_date).")
    before: str = strawberry.field(description="Its value in the version before, as text.")
    after: str = strawberry.field(description="Its value in this version, as text.")

    @classmethod
    def from_domain(cls, change: DomainFieldChange) -> FieldChange:
        return cls(field=change.field, before=change.before, after=change.after)


@strawberry.type(description="One version of a record's metadata: 1 as deposited, then one per correction.")
class MetadataVersion:
    version: int = strawberry.field(description="1 as deposited; each correction adds one.")
    at: datetime = strawberry.field(description="When the version was made (version 1: the deposit).")
    actor: str | None = strawberry.field(
        description="Who made it; null for version 1 (the depositor is in the audit log)."
    )
    reason: str = strawberry.field(description="Why: 'deposit' for version 1, the corrector's reason after.")
    changes: list[FieldChange] = strawberry.field(description="What it changed against the version before.")
    subject: str = strawberry.field(description="Trích yếu as it read in this version.")
    document_number: str = strawberry.field(description="Number and notation as they read in this version.")

    @classmethod
    def from_domain(cls, version: DomainVersion, changes: tuple[DomainFieldChange, ...]) -> MetadataVersion:
        return cls(
            version=version.version,
            at=version.at,
            actor=version.actor,
            reason=version.reason,
            changes=[FieldChange.from_domain(c) for c in changes],
            subject=version.metadata.subject,
            document_number=version.metadata.document_number,
        )


async def record_history(info: Info, record: domain.Record) -> list[MetadataVersion]:
    """``Record.history``: the record is readable already."""
    found = await corrections.history(info.context.services, info.context.principal, record.id)
    return [MetadataVersion.from_domain(v, c) for v, c in found]


async def record_relations(info: Info, record: domain.Record) -> list[RecordRelation]:
    """``Record.relations``, as the caller may see them."""
    ctx = info.context
    shown = await relations.visible_relations(ctx.services, ctx.principal, record, ctx.load.relation_reads())
    return [RecordRelation.from_shown(s) for s in shown]


async def record_lifecycle(info: Info, record: domain.Record) -> RecordLifecycle:
    """``Record.lifecycle``, as the caller may see it."""
    ctx = info.context
    found = await relations.visible_status(ctx.services, ctx.principal, record, ctx.load.relation_reads())
    by = None if found.by is None else RecordRelation.from_shown(found.by)
    return RecordLifecycle(status=found.status, changed_at=found.at, by=by)


@strawberry.input(description="A document by issuer, number/notation and date.")
class DocumentReferenceInput:
    issuer_code: str = strawberry.field(description="Mã định danh of the issuing agency.")
    document_number: str = strawberry.field(description="Number and notation as printed, e.g. 12/QĐ-UBND.")
    issue_date: date | None = strawberry.field(
        default=None, description="Ngày ban hành; when given, only a document of that date matches."
    )

    def to_domain(self) -> ExternalReference:
        return ExternalReference(self.issuer_code, self.document_number, self.issue_date)


def _reference(value: DocumentReferenceInput | None) -> ExternalReference | None:
    return None if value is None else value.to_domain()


_UNSET: Any = strawberry.UNSET


@strawberry.input(
    description=(
        "The metadata fields to correct; fields left out keep their current value. Validated as at "
        "deposit. The retention code is not corrected here (it changes through the retention schedule)."
    )
)
class RecordCorrectionInput:
    document_type: str | None = strawberry.field(default=_UNSET, description="Loại văn bản as free text.")
    type_name: str | None = strawberry.field(
        default=_UNSET, description="Tên loại văn bản code 01-32 or name."
    )
    number: str | None = strawberry.field(default=_UNSET, description="Số.")
    notation: str | None = strawberry.field(default=_UNSET, description="Ký hiệu.")
    issuing_agency_code: str | None = strawberry.field(default=_UNSET, description="Issuing agency code.")
    issuing_agency_name: str | None = strawberry.field(default=_UNSET, description="Issuing agency name.")
    issue_date: date | None = strawberry.field(default=_UNSET, description="Ngày ban hành.")
    issue_place: str | None = strawberry.field(default=_UNSET, description="Địa danh.")
    subject: str | None = strawberry.field(default=_UNSET, description="Trích yếu.")
    signer_name: str | None = strawberry.field(default=_UNSET, description="Signer's full name.")
    signer_position: str | None = strawberry.field(default=_UNSET, description="Signer's position.")
    direction: domain.Direction | None = strawberry.field(default=_UNSET, description="Incoming or outgoing.")
    recipients: list[str] | None = strawberry.field(default=_UNSET, description="Nơi nhận (the whole list).")
    urgency: domain.Urgency | None = strawberry.field(default=_UNSET, description="Độ khẩn.")
    classification: domain.Classification | None = strawberry.field(
        default=_UNSET,
        description="Độ mật: raising it up to your clearance is yours; lowering it is an admin's (giải mật).",
    )
    language: list[str] | None = strawberry.field(default=_UNSET, description="Language codes 01-11.")
    page_count: int | None = strawberry.field(default=_UNSET, description="Pages.")
    arrival_number: str | None = strawberry.field(default=_UNSET, description="Số đến; null clears it.")
    arrival_date: date | None = strawberry.field(default=_UNSET, description="Ngày đến; null clears it.")
    due_date: date | None = strawberry.field(default=_UNSET, description="Hạn xử lý; null clears it.")
    is_public: bool | None = strawberry.field(
        default=_UNSET, description="Publish to anonymous callers: an admin's decision."
    )
    mode: str | None = strawberry.field(default=_UNSET, description="Chế độ sử dụng 01-03.")
    keyword: str | None = strawberry.field(default=_UNSET, description="Từ khóa.")
    infor_sign: str | None = strawberry.field(default=_UNSET, description="Ký hiệu thông tin.")
    autograph: str | None = strawberry.field(default=_UNSET, description="Bút tích.")
    physical_format: str | None = strawberry.field(
        default=_UNSET, name="format", description="Tình trạng vật lý."
    )
    process: bool | None = strawberry.field(default=_UNSET, description="A processing-flow file is attached.")
    description: str | None = strawberry.field(default=_UNSET, description="Ghi chú.")
    issued_amount: int | None = strawberry.field(default=_UNSET, description="Số bản.")

    def to_changes(self) -> dict[str, object]:
        """The fields given, by their domain names; MetadataInvalid for a null where a value is needed."""
        renamed = {"language": "languages"}
        tuples = {"recipients", "language"}
        nullable = {
            "type_name",
            "page_count",
            "arrival_number",
            "arrival_date",
            "due_date",
            "mode",
            "physical_format",
            "issued_amount",
        }
        changes: dict[str, object] = {}
        for name, value in vars(self).items():
            if value is strawberry.UNSET:
                continue
            if value is None and name not in nullable:
                raise MetadataInvalid(name, "cannot be null")
            changes[renamed.get(name, name)] = tuple(value) if name in tuples and value is not None else value
        return changes


@strawberry.type(description="The correction was made: a new metadata version, now the current one.")
class CorrectRecordSuccess:
    record: Record = strawberry.field(description="The record with its corrected metadata.")


@strawberry.type(description="The record was corrected since the version the correction was made against.")
class VersionConflictError:
    message: str = strawberry.field(description="The current version.")
    code: str = strawberry.field(description="Always VERSION_CONFLICT.")


@strawberry.type(
    description="The relation was declared (or already was: declaring it again changes nothing)."
)
class RelateSuccess:
    record: Record = strawberry.field(description="The record the mutation named.")
    relation: RecordRelation = strawberry.field(description="The relation, read from that record.")


CorrectRecordResult = Annotated[
    CorrectRecordSuccess | ValidationError | ForbiddenError | NotFoundError | VersionConflictError,
    strawberry.union("CorrectRecordResult", description="The outcome of a correction."),
]
RelateResult = Annotated[
    RelateSuccess | ValidationError | ForbiddenError | NotFoundError,
    strawberry.union("RelateResult", description="The outcome of relating, revoking or replacing."),
]
_NOTE = Annotated[str, strawberry.argument(description="Why, or the decision it follows (optional).")]


async def _related(info: Info, record_id: str, relation: Relation) -> RelateResult:
    """The success answer: the relation as the caller sees it from ``record_id``."""
    ctx = info.context
    record = await get_record(ctx.services, ctx.principal, record_id)
    if record is None:  # changed under us by someone else: it looks like any missing record
        return NotFoundError(message="no such record", code=NotFound.code)
    for shown in await relations.visible_relations(ctx.services, ctx.principal, record):
        if shown.relation_id == relation.id:
            return RelateSuccess(record=Record.from_domain(record), relation=RecordRelation.from_shown(shown))
    # Not listed: a revocation that names no document (only a note says why).
    reference = DocumentReference.from_domain(relation.reference)
    unnamed = RecordRelation(
        type=relation.kind, record=None, reference=reference, created_at=relation.created_at
    )
    return RelateSuccess(record=Record.from_domain(record), relation=unnamed)


def _failure(exc: Exception) -> ValidationError | ForbiddenError | NotFoundError:
    if isinstance(exc, MetadataInvalid):
        return ValidationError(field=exc.field, message=exc.reason, code=exc.code)
    if isinstance(exc, Forbidden):
        return ForbiddenError(message=exc.message, code=exc.code)
    assert isinstance(exc, NotFound)
    return NotFoundError(message=exc.message, code=exc.code)


async def _declare(
    info: Info,
    id: GlobalID,
    kind: RelationKind,
    target_id: str | None,
    reference: DocumentReferenceInput | None,
    note: str,
) -> RelateResult:
    """relateRecords, revokeRecord and replaceRecord: revoking and replacing are relating
    with a fixed kind (``relations.revoke`` and ``relations.replace`` say so too)."""
    ctx = info.context
    record_id = raw_record_id(id)
    try:
        relation = await relations.relate(
            ctx.services,
            ctx.principal,
            record_id,
            kind,
            target_id=None if target_id is None else raw_record_id(target_id),
            reference=_reference(reference),
            note=note,
            client=ctx.client.describe(),
        )
    except (MetadataInvalid, Forbidden, NotFound) as exc:
        return _failure(exc)
    return await _related(info, record_id, relation)


@strawberry.type
class LifecycleMutations:
    @strawberry.mutation(
        description=(
            "Correct a record's metadata: the given fields on top of the current version become a new "
            "version, with who, when and why; nothing is overwritten (Record.history). Audited."
        )
    )
    async def correct_record(
        self,
        info: Info,
        id: GlobalID,
        changes: Annotated[RecordCorrectionInput, strawberry.argument(description="The fields to change.")],
        reason: Annotated[str, strawberry.argument(description="Why (required, at most 1000 characters).")],
        expected_version: Annotated[
            int | None,
            strawberry.argument(description="The metadataVersion the correction was made against."),
        ] = None,
    ) -> CorrectRecordResult:
        ctx = info.context
        try:
            record = await corrections.correct(
                ctx.services,
                ctx.principal,
                raw_record_id(id),
                changes.to_changes(),
                reason=reason,
                expected_version=expected_version,
                client=ctx.client.describe(),
            )
        except VersionConflict as exc:
            return VersionConflictError(message=exc.message, code=exc.code)
        except (MetadataInvalid, Forbidden, NotFound) as exc:
            return _failure(exc)
        return CorrectRecordSuccess(record=Record.from_domain(record))

    @strawberry.mutation(
        description=(
            "Relate a record to another record (targetId) or to a document not in the archive (reference: "
            "linked when it is deposited). REVOKES and REPLACES change the target's status. Audited."
        )
    )
    async def relate_records(
        self,
        info: Info,
        id: GlobalID,
        type: Annotated[RelationKind, strawberry.argument(description="The relation, read from the record.")],
        target_id: Annotated[
            str | None, strawberry.argument(description="The related record (Relay id or UUID).")
        ] = None,
        reference: Annotated[
            DocumentReferenceInput | None,
            strawberry.argument(description="The related document's reference."),
        ] = None,
        note: _NOTE = "",
    ) -> RelateResult:
        return await _declare(info, id, type, target_id, reference, note)

    @strawberry.mutation(
        description=(
            "Revoke a record (thu hồi / bãi bỏ) by the revoking record, its reference, or with a note saying "
            "why. It leaves default search results (filter includeRevoked) and stays retrievable. Audited."
        )
    )
    async def revoke_record(
        self,
        info: Info,
        id: GlobalID,
        by_record_id: Annotated[
            str | None, strawberry.argument(description="The revoking record (Relay id or UUID).")
        ] = None,
        by_reference: Annotated[
            DocumentReferenceInput | None,
            strawberry.argument(description="The revoking document's reference."),
        ] = None,
        note: _NOTE = "",
    ) -> RelateResult:
        return await _declare(info, id, RelationKind.REVOKED_BY, by_record_id, by_reference, note)

    @strawberry.mutation(
        description=(
            "The record replaces another (replacedId) or the document a reference names: the replaced one "
            "is marked REPLACED and stays in search, linked to its replacement. Audited."
        )
    )
    async def replace_record(
        self,
        info: Info,
        id: GlobalID,
        replaced_id: Annotated[
            str | None, strawberry.argument(description="The replaced record (Relay id or UUID).")
        ] = None,
        replaced_reference: Annotated[
            DocumentReferenceInput | None,
            strawberry.argument(description="The replaced document's reference."),
        ] = None,
        note: _NOTE = "",
    ) -> RelateResult:
        return await _declare(info, id, RelationKind.REPLACES, replaced_id, replaced_reference, note)
