"""API keys on SQL: issue (hash only), look up by key id, list, revoke."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.auth.apikeys import generate_api_key, hash_secret
from archive.db.access_tables import ApiKeyRow
from archive.db.timestamps import as_utc
from archive.domain.access import Role
from archive.domain.apikeys import ApiKey, NewApiKey
from archive.domain.records import Classification


class SqlApiKeyStore:
    """The ``api_keys`` table. The secret leaves ``create`` once and is never stored."""

    def __init__(self, engine: Engine, *, pepper: bytes) -> None:
        self._engine = engine
        self._pepper = pepper

    @property
    def pepper(self) -> bytes:
        return self._pepper

    def create(
        self,
        *,
        name: str,
        agencies: Iterable[str],
        roles: Iterable[Role],
        clearance: Classification,
        now: datetime | None = None,
    ) -> tuple[ApiKey, NewApiKey]:
        """Store a new key's hash; returns the stored key and the one-time secret."""
        issued = generate_api_key()
        row = ApiKeyRow(
            id=issued.key_id,
            name=name,
            agencies=json.dumps(sorted(set(agencies)), ensure_ascii=False),
            roles=json.dumps(sorted({r.value for r in roles})),
            clearance=int(clearance),
            hash=hash_secret(issued.secret, pepper=self._pepper),
            created_at=now or datetime.now(UTC),
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_key(row), issued

    def get(self, key_id: str) -> ApiKey | None:
        with Session(self._engine) as session:
            row = session.get(ApiKeyRow, key_id)
            return None if row is None else _to_key(row)

    def list(self) -> list[ApiKey]:
        with Session(self._engine) as session:
            rows = session.exec(select(ApiKeyRow).order_by(col(ApiKeyRow.created_at))).all()
            return [_to_key(r) for r in rows]

    def revoke(self, key_id: str, *, now: datetime | None = None) -> bool:
        """Revoke a key from ``now`` on; False when there is no such key."""
        with Session(self._engine) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                return False
            if row.revoked_at is None:
                row.revoked_at = now or datetime.now(UTC)
                session.add(row)
                session.commit()
            return True


def _to_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        agencies=frozenset(json.loads(row.agencies)),
        roles=frozenset(Role(r) for r in json.loads(row.roles)),
        clearance=Classification(row.clearance),
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at),
        hash=row.hash,
    )
