"""SQL tables of the archival unit: fonds and dossiers. A record's place (its fonds, its
dossier and its ordinal there) is on the ``records`` row itself."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from archive.db.tables import _TZ  # one timestamp type for every table


class FondsRow(SQLModel, table=True):
    """A phông lưu trữ."""

    __tablename__ = "fonds"

    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=300)
    agency_code: str = Field(max_length=40, index=True)
    status: str = Field(max_length=20)
    history: str = Field(default="", sa_type=sa.Text)
    time_span: str = Field(default="", max_length=300)
    total_documents: int | None = None
    classification_scheme: str = Field(default="", max_length=300)
    languages: str = Field(default='["01"]', max_length=200)  # JSON list of language codes
    backup_mode: str = Field(default="0", max_length=2)
    notes: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(sa_type=_TZ)


class DossierRow(SQLModel, table=True):
    """A hồ sơ and its Circular 05/2025 fields; ``code`` is its file code (mã hồ sơ)."""

    __tablename__ = "dossiers"
    __table_args__ = (sa.UniqueConstraint("fonds_id", "code", name="uq_dossiers_fonds_id_code"),)

    id: str = Field(primary_key=True, max_length=36)
    fonds_id: str = Field(max_length=36, foreign_key="fonds.id", index=True)
    agency_code: str = Field(max_length=40, index=True)
    code: str = Field(max_length=100, index=True)  # fileCode
    title: str = Field(sa_type=sa.Text)
    maintenance: str = Field(max_length=2)
    mode: str = Field(max_length=2)
    languages: str = Field(default='["01"]', max_length=200)  # JSON list of language codes
    start_date: date | None = None
    end_date: date | None = None
    keyword: str = Field(default="", max_length=300)
    number_of_paper: int | None = None
    physical_format: str = Field(default="01", max_length=2)
    infor_sign: str = Field(default="", max_length=300)
    paper_file_code: str = Field(default="", max_length=100)
    risk_recovery: str = Field(default="0", max_length=2)
    risk_recovery_status: str = Field(default="0", max_length=2)
    description: str = Field(default="", sa_type=sa.Text)
    status: str = Field(max_length=20, index=True)
    closed_on: date | None = None
    classification: int = Field(default=0, index=True)
    is_public: bool = False
    year: int | None = None
    file_number: str = Field(default="", max_length=40)
    compiler: str = Field(default="", max_length=300)  # đơn vị/người lập hồ sơ (Decree 30, App. V)
    heading: str = Field(default="", max_length=300)  # đề mục the dossier list groups it under
    created_at: datetime = Field(sa_type=_TZ)
    updated_at: datetime = Field(sa_type=_TZ)
    row_version: int = 1
