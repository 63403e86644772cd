"""A small archive driven over HTTP with bearer tokens, for the audit-log tests: records,
reads, searches, downloads and grants by several principals, and the audit log as each
principal pages through it."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlmodel import Session

from archive.db.engine import create_db_engine
from archive.db.retention_tables import TombstoneRow
from archive.domain.audit import Outcome
from archive.domain.records import Classification, Record
from archive.services.container import Services
from archive.settings import Settings
from tests.support.access import SigningKey, put
from tests.support.graphql import api_client, open_services

FIXED_NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)

AUDIT = """query($first: Int!, $after: String, $f: AuditLogFilter) {
  auditLog(first: $first, after: $after, filter: $f) {
    edges { cursor node { seq at actor action target outcome client details hash } }
    pageInfo { hasNextPage endCursor } } }"""
RECORD = "query($id: ID!) { record(id: $id) { id } }"
DOWNLOAD = "query($id: ID!) { record(id: $id) { download { url } } }"
SEARCH = "query { search(first: 50) { totalCount edges { node { id } } } }"
GRANT = """mutation($id: ID!, $g: String!) {
  grantRecordAccess(recordId: $id, grantee: $g) { __typename } }"""


def global_id(record_id: str) -> str:
    return base64.urlsafe_b64encode(f"Record:{record_id}".encode()).decode()


@dataclass
class World:
    """One running archive, its services, and an HTTP client on it."""

    services: Services
    http: httpx.AsyncClient
    key: SigningKey

    def token(self, sub: str, roles: list[str], clearance: Classification, agencies: list[str]) -> str:
        return self.key.token(sub=sub, roles=roles, clearance=clearance.name, agencies=agencies)

    async def post(self, query: str, token: str, **variables: Any) -> Any:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def audit_pages(self, token: str, first: int) -> tuple[list[dict[str, Any]], list[bool], Any]:
        """Every entry the caller sees, paging ``first`` at a time; the hasNextPage flags;
        and the first answer's errors, if any."""
        entries: list[dict[str, Any]] = []
        flags: list[bool] = []
        after = None
        while True:
            body = await self.post(AUDIT, token, first=first, after=after)
            if body.get("errors"):
                return entries, flags, [e["extensions"]["code"] for e in body["errors"]]
            log = body["data"]["auditLog"]
            entries.extend(e["node"] for e in log["edges"])
            flags.append(log["pageInfo"]["hasNextPage"])
            if not log["pageInfo"]["hasNextPage"]:
                return entries, flags, None
            after = log["pageInfo"]["endCursor"]


@asynccontextmanager
async def open_world(settings: Settings, key: SigningKey) -> AsyncIterator[World]:
    async with open_services(settings) as services:
        services.clock = lambda: FIXED_NOW  # the same instants in every world
        async with api_client(services) as http:
            yield World(services, http, key)


async def add_records(world: World, *records: Record) -> None:
    await put(world.services, *records)


def add_tombstone(world: World, record_id: str, agency: str, level: Classification) -> None:
    """A destroyed record, and its ``retention.destroy`` entry, as a disposition run leaves them."""
    engine = create_db_engine(world.services.settings.resolved_database_url)
    with Session(engine) as session:
        session.add(
            TombstoneRow(
                record_id=record_id, document_number="7/QĐ-UBND", document_type="Quyết định",
                agency_code=agency, classification=int(level), issue_date=date(2001, 1, 1),
                disposal_date=date(2021, 1, 1), decision_ref="QĐ-HUY-1", batch_id=str(uuid.uuid4()),
                approved_by="rm-2", deposited_at=FIXED_NOW, destroyed_at=FIXED_NOW,
                sha256="ab" * 32, size=10,
            )
        )  # fmt: skip
        session.commit()
    engine.dispose()
    world.services.audit.append(
        at=FIXED_NOW,
        actor="rm-2",
        action="retention.destroy",
        target=record_id,
        outcome=Outcome.OK,
        details={"document_number": "7/QĐ-UBND", "sha256": "ab" * 32},
    )


def projection(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What an entry says, without its place in the global chain (seq, hash, cursor)."""
    return (
        entry["at"],
        entry["actor"],
        entry["action"],
        entry["target"],
        entry["outcome"],
        entry["client"],
        json.loads(entry["details"]),
    )
