"""Helpers for the access-control tests: records put straight into the stores, bearer tokens."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from archive.domain.archival import default_fonds_id
from archive.domain.records import (
    Classification,
    Direction,
    Page,
    Record,
    RecordMetadata,
    StoredFile,
    TextSource,
    TextStatus,
)
from archive.services.container import Services
from archive.services.indexing import index_document
from archive.settings import Settings

ISSUER = "https://sso.example.gov.vn/realms/tinh"
AUDIENCE = "records-archive"
NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


@dataclass(frozen=True)
class SigningKey:
    private: rsa.RSAPrivateKey
    public_pem: str

    @classmethod
    def generate(cls) -> SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private, pem.decode("ascii"))

    def token(self, **overrides: Any) -> str:
        """An RS256 token for ISSUER/AUDIENCE; ``None`` values drop a claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "reader-1",
            "iat": now,
            "exp": now + 600,
            "roles": ["reader"],
            "agencies": ["UBND-HG"],
            "clearance": "ORDINARY",
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256")


def make_record(
    *,
    agency: str = "UBND-HG",
    classification: Classification = Classification.ORDINARY,
    public: bool = False,
    grants: tuple[str, ...] = (),
    subject: str = "Về việc áp dụng chữ ký số",
    text: str = "Nội dung văn bản",
    issuing: str | None = None,
    document_type: str = "Quyết định",
) -> Record:
    record_id = str(uuid.uuid4())
    return Record(
        id=record_id,
        agency_code=agency,
        fonds_id=default_fonds_id(agency),
        metadata=RecordMetadata(
            document_type=document_type,
            number=str(uuid.uuid4().int % 1000),
            notation="QĐ-UBND",
            issuing_agency_code=issuing or agency,
            issuing_agency_name=f"Cơ quan {agency}",
            issue_date=date(2024, 3, 15),
            subject=subject,
            signer_name="Nguyễn Văn An",
            signer_position="Chủ tịch",
            direction=Direction.OUTGOING,
            classification=classification,
            is_public=public,
        ),
        file=StoredFile(
            storage_key=f"records/{record_id[:2]}/{record_id}",
            sha256=uuid.uuid4().hex * 2,
            size=10,
            media_type="application/pdf",
            original_filename="văn bản.pdf",
        ),
        created_at=NOW,
        updated_at=NOW,
        text_status=TextStatus.EXTRACTED,
        grants=grants,
        pages=(Page(1, text, TextSource.TEXT_LAYER),),
    )


async def put(services: Services, *records: Record) -> None:
    """Into the database and the index, as if the worker had processed them."""
    for record in records:
        services.records.add(record)
        await services.index.upsert(index_document(record))
    await services.index.refresh()


def bearer_settings(settings: Settings, key: SigningKey, directory: Path, **extra: object) -> Settings:
    """``settings`` with no dev admin and bearer tokens from one issuer, checked against
    ``key``'s public half (written to ``directory``); ``extra`` sets more fields."""
    pem = directory / "idp.pem"
    pem.write_text(key.public_pem, encoding="ascii")
    return settings.model_copy(
        update={
            "dev_local_admin": False,
            "oidc_issuer": ISSUER,
            "oidc_audience": AUDIENCE,
            "oidc_algorithms": "RS256",
            "oidc_public_key_file": pem,
            **extra,
        }
    )
