"""record files: several files per record, each with its versions; pages keyed by file

Revision ID: 0024
Revises: 0015

``record_files`` holds one row per version of each file of a record (main file,
appendices, attachments, source package). Every existing record's single file
becomes its main file, version 1, whose file id is the record's id and whose key is
the one it already has: no object moves. ``pages`` gains ``file_id`` (its existing
rows belong to the main file) and is keyed by (record, file, page).

The ``records`` columns describing the file (storage_key, sha256, size, media_type,
original_filename, version_id) stay: they mirror the main file's current version,
which the duplicate check, retention, fixity, backup and disposition read.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_files",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("original_filename", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_files_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", "version", name=op.f("pk_record_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_record_files_storage_key")),
    )
    with op.batch_alter_table("record_files") as batch:
        batch.create_index(batch.f("ix_record_files_record_id"), ["record_id"], unique=False)
        batch.create_index(batch.f("ix_record_files_sha256"), ["sha256"], unique=False)
    op.execute(
        "INSERT INTO record_files (id, version, record_id, role, ordinal, storage_key, version_id,"
        " sha256, size, media_type, original_filename, created_at, created_by, reason)"
        " SELECT id, 1, id, 'main', 0, storage_key, version_id, sha256, size, media_type,"
        " original_filename, created_at, '', '' FROM records"
    )
    with op.batch_alter_table("pages", recreate="always") as batch:
        batch.add_column(
            sa.Column(
                "file_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False, server_default=""
            )
        )
    op.execute("UPDATE pages SET file_id = record_id")
    with op.batch_alter_table("pages", recreate="always") as batch:
        batch.alter_column("file_id", server_default=None)
        batch.drop_constraint("pk_pages", type_="primary")
        batch.create_primary_key("pk_pages", ["record_id", "file_id", "number"])


def downgrade() -> None:
    op.execute("DELETE FROM pages WHERE file_id <> record_id")
    with op.batch_alter_table("pages", recreate="always") as batch:
        batch.drop_constraint("pk_pages", type_="primary")
        batch.create_primary_key("pk_pages", ["record_id", "number"])
        batch.drop_column("file_id")
    with op.batch_alter_table("record_files") as batch:
        batch.drop_index(batch.f("ix_record_files_sha256"))
        batch.drop_index(batch.f("ix_record_files_record_id"))
    op.drop_table("record_files")
