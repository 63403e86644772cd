"""records: the document fields of Circular 05/2025/TT-BNV, and language as codes

Revision ID: 0012
Revises: 0010 (written on 0009; chained after the fonds migration once it was on main)

New columns: ``type_name`` (document-type code 01-32), ``mode`` (01-03, NULL when
not stated), ``keyword``, ``infor_sign``, ``autograph``, ``physical_format``,
``process``, ``description``, ``issued_amount`` and ``confidence_level`` (derived
from the pages' text sources). ``language`` becomes a JSON list of language codes.

Existing rows are migrated with the rules deposits follow (archive.domain.records):
* ``type_name``: the code the free-text ``document_type`` names (label, any case,
  with or without diacritics), else 32 (Khác); ``document_type`` keeps its text.
* ``language``: "vi" becomes ["01"]; another language the list knows by code,
  label or alias becomes its code; anything else 11 (Khác).
* ``mode``: 01 for public records, 03 for classified ones; NULL (not stated) for
  the others, which keep the read rule they had (mode 02 would withhold them from
  other agencies' archivists, a decision no migration may take for them).
* ``confidence_level``: 01, 02 or 03 from the sources of the pages of records whose
  text was extracted; NULL otherwise.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from archive.domain import codes
from archive.domain.errors import MetadataInvalid
from archive.domain.records import type_code_of

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

_LANGUAGE_OTHER = "11"

_records = sa.table(
    "records",
    sa.column("id", sa.String),
    sa.column("document_type", sa.String),
    sa.column("language", sa.Text),
    sa.column("type_name", sa.String),
    sa.column("mode", sa.String),
    sa.column("is_public", sa.Boolean),
    sa.column("classification", sa.Integer),
    sa.column("text_status", sa.String),
    sa.column("confidence_level", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.alter_column("language", existing_type=sa.String(length=10), type_=sa.Text(), nullable=False)
        batch.add_column(sa.Column("type_name", sa.String(length=2), nullable=False, server_default="32"))
        batch.add_column(sa.Column("mode", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("keyword", sa.String(length=100), nullable=False, server_default=""))
        batch.add_column(sa.Column("infor_sign", sa.String(length=30), nullable=False, server_default=""))
        batch.add_column(sa.Column("autograph", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("physical_format", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("process", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("issued_amount", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("confidence_level", sa.String(length=2), nullable=True))
    conn = op.get_bind()
    _type_names(conn)
    _languages(conn)
    _modes(conn)
    _confidence_levels(conn)


def _type_names(conn: sa.Connection) -> None:
    for (text,) in conn.execute(sa.select(_records.c.document_type).distinct()).all():
        conn.execute(
            _records.update().where(_records.c.document_type == text).values(type_name=type_code_of(text))
        )


def _language_codes(value: str) -> str:
    try:
        code = codes.code_lists()[codes.LANGUAGE].parse(value, field_name="language")
    except MetadataInvalid:
        code = _LANGUAGE_OTHER
    return json.dumps([code])


def _languages(conn: sa.Connection) -> None:
    for (value,) in conn.execute(sa.select(_records.c.language).distinct()).all():
        conn.execute(
            _records.update()
            .where(_records.c.language == value)
            .values(language=_language_codes(value or ""))
        )


def _modes(conn: sa.Connection) -> None:
    conn.execute(_records.update().where(_records.c.is_public.is_(True)).values(mode="01"))
    conn.execute(_records.update().where(_records.c.classification > 0).values(mode="03"))


def _confidence_levels(conn: sa.Connection) -> None:
    pages = sa.table("pages", sa.column("record_id", sa.String), sa.column("source", sa.String))

    def having(source: str) -> sa.Exists:
        return sa.exists().where(pages.c.record_id == _records.c.id, pages.c.source == source)

    level = sa.case(
        (sa.and_(having("text_layer"), having("ocr")), "03"),
        (having("text_layer"), "01"),
        (having("ocr"), "02"),
        else_=None,
    )
    extracted = _records.c.text_status.in_(["extracted", "ocr_done"])
    conn.execute(_records.update().where(extracted).values(confidence_level=level))


def downgrade() -> None:
    conn = op.get_bind()
    # Back to one free-text language: the first code's short name (its first alias, "vi").
    languages = codes.code_lists()[codes.LANGUAGE]
    for (value,) in conn.execute(sa.select(_records.c.language).distinct()).all():
        entry = languages.get((json.loads(value) or ["01"])[0])
        short = entry.aliases[0] if entry is not None and entry.aliases else "vi"
        conn.execute(_records.update().where(_records.c.language == value).values(language=short))
    with op.batch_alter_table("records") as batch:
        for name in (
            "confidence_level", "issued_amount", "description", "process", "physical_format",
            "autograph", "infor_sign", "keyword", "mode", "type_name",
        ):  # fmt: skip
            batch.drop_column(name)
        batch.alter_column("language", existing_type=sa.Text(), type_=sa.String(length=10), nullable=False)
