"""``archive apikey`` (create, list, revoke) and ``archive audit`` (verify, head, seal)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Column, Table
from sqlalchemy.engine import Engine

from archive.auth.apikeys import ApiKey
from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, console, fail, line, print_json, problem
from archive.db.apikeys import SqlApiKeyStore
from archive.db.audit import SqlAuditLog
from archive.domain.access import Role
from archive.domain.audit import DetailValue, Outcome
from archive.domain.records import Classification
from archive.settings import Settings

apikey_app = typer.Typer(help="Issue, list and revoke API keys for portals.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)


def _engine(settings: Settings) -> Engine:
    """The metadata database, migrated in development (production migrates as a deploy step)."""
    from archive.db.engine import create_db_engine
    from archive.db.migrate import upgrade

    engine = create_db_engine(settings.resolved_database_url)
    if not settings.is_production:
        upgrade(engine)
    return engine


@contextmanager
def _key_store(settings: Settings) -> Iterator[SqlApiKeyStore]:
    from archive.auth.apikeys import derive_pepper

    engine = _engine(settings)
    try:
        yield SqlApiKeyStore(engine, pepper=derive_pepper(settings.secret_key.get_secret_value()))
    finally:
        engine.dispose()


def _audit_key_change(
    settings: Settings, action: str, key_id: str, details: Mapping[str, DetailValue]
) -> None:
    """Issuing and revoking keys changes who may do what: audited, as the local operator."""
    from datetime import UTC, datetime

    from archive.cli_identity import CLI_CLIENT, os_user
    from archive.services.identity import local_operator

    with _audit_log(settings) as log:
        log.append(
            at=datetime.now(UTC),
            actor=local_operator(os_user()).subject,
            action=action,
            target=key_id,
            outcome=Outcome.OK,
            client=CLI_CLIENT,
            details=details,
        )


def _clearance(name: str) -> Classification:
    try:
        return Classification[name.strip().upper()]
    except KeyError:
        levels = ", ".join(c.name for c in Classification)
        raise typer.BadParameter(f"{name!r} is not one of {levels}") from None


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="Who the key is for, e.g. the portal's name.")],
    agency: Annotated[
        list[str] | None, typer.Option(help="An agency code the key acts for (repeatable).")
    ] = None,
    role: Annotated[list[Role] | None, typer.Option(help="A role (repeatable).")] = None,
    clearance: Annotated[
        str, typer.Option(help="ORDINARY, CONFIDENTIAL, SECRET or TOP_SECRET.")
    ] = "ORDINARY",
    as_json: JsonOption = False,
) -> None:
    """Issue a key. The secret is printed ONCE; only its hash is stored."""
    level = _clearance(clearance)
    settings = Settings()
    with _key_store(settings) as store:
        key, issued = store.create(
            name=name, agencies=agency or [], roles=role or [Role.READER], clearance=level
        )
    scope = {
        "name": name[:200],
        "roles": ",".join(sorted(r.value for r in key.roles)),
        "agencies": ",".join(sorted(key.agencies)),
        "clearance": level.name,
    }
    _audit_key_change(settings, "apikey.create", key.id, scope)
    if as_json:
        print_json({"key": _key_json(key), "secret": issued.display})
        return
    problem(
        f"API key {key.id} for {name}: roles {sorted(r.value for r in key.roles)}, "
        f"agencies {sorted(key.agencies)}, clearance {level.name}. Store the secret now; "
        "it cannot be shown again."
    )
    line(issued.display)


@apikey_app.command("list")
def apikey_list(as_json: JsonOption = False) -> None:
    """Every key: id, name, scope, and whether it is revoked. Never the secret."""
    with _key_store(Settings()) as store:
        keys = store.list()
    if as_json:
        print_json({"keys": [_key_json(key) for key in keys]})
        return
    table = Table("name", "roles", "agencies", "clearance", "created", "revoked")
    table.columns.insert(0, Column("id", no_wrap=True, min_width=16))  # revoke needs it whole
    for key in keys:
        table.add_row(
            key.id,
            key.name,
            ",".join(sorted(r.value for r in key.roles)),
            ",".join(sorted(key.agencies)),
            key.clearance.name,
            key.created_at.isoformat(timespec="seconds"),
            key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
        )
    console.print(table)


def _key_json(key: ApiKey) -> dict[str, object]:
    """A key's public fields for ``--json`` (its hash stays in the database)."""
    return {
        "id": key.id,
        "name": key.name,
        "roles": sorted(r.value for r in key.roles),
        "agencies": sorted(key.agencies),
        "clearance": key.clearance.name,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after ark_).")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a key at once; requests with it get 401 from now on."""
    settings = Settings()
    with _key_store(settings) as store:
        revoked = store.revoke(key_id)
    if not revoked:
        raise fail("NOT_FOUND", f"no API key {key_id}", as_json=as_json)
    _audit_key_change(settings, "apikey.revoke", key_id, {})
    if as_json:
        print_json({"revoked": key_id})
    else:
        line(f"API key {key_id} revoked")


@contextmanager
def _audit_log(settings: Settings) -> Iterator[SqlAuditLog]:
    engine = _engine(settings)
    try:
        yield SqlAuditLog(engine, key=settings.audit_mac_key)
    finally:
        engine.dispose()


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        str | None,
        typer.Option(
            help="A head hash kept elsewhere earlier (`archive audit head`): it must be in the chain."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the chain and check it ends at the stored, sealed head; exit 1 and name the
    first bad seq when any entry was altered, removed, reordered or cut off the end."""
    from archive.domain.audit import verify_with_head

    settings = Settings()
    with _audit_log(settings) as log:
        stored = log.stored_head()
        report = verify_with_head(log.entries(), stored, key=settings.audit_mac_key, includes=head)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "checked": report.checked,
                "first_bad_seq": report.first_bad_seq,
                "reason": report.reason,
                "head": {"seq": stored.seq, "hash": stored.hash},
            }
        )
        raise typer.Exit(0 if report.ok else 1)
    if not report.ok:
        problem(
            f"audit chain broken at seq {report.first_bad_seq}: {report.reason} "
            f"({report.checked} entries verified before it)"
        )
        raise typer.Exit(1)
    line(f"audit chain intact: {report.checked} entries; head seq {stored.seq} hash {stored.hash}")


@audit_app.command("head")
def audit_head(as_json: JsonOption = False) -> None:
    """Print the chain's head (seq, hash, time) to keep outside this database, for
    `archive audit verify --head HASH` later."""
    with _audit_log(Settings()) as log:
        stored = log.stored_head()
        last = log.entry(stored.seq) if stored.seq else None
    at = "" if last is None else last.at.isoformat()
    if as_json:
        print_json({"seq": stored.seq, "hash": stored.hash, "at": at, "sealed": stored.mac is not None})
        return
    line(f"seq {stored.seq}\nhash {stored.hash}\nat {at}")


@audit_app.command("seal")
def audit_seal(api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """Verify the chain up to its stored head, then append an `audit.seal` entry, which seals
    the head with the audit key. Run once after upgrading from an unkeyed chain."""
    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError
    from archive.services.audit import seal

    with cli_services(Settings(), api_key=api_key) as (services, principal):
        try:
            sealed = seal(services, principal)
        except ArchiveError as exc:
            raise fail(exc.code, f"not sealed: {exc.message}", as_json=as_json) from exc
    if as_json:
        print_json({"sealed": {"seq": sealed.seq, "hash": sealed.hash}})
    else:
        line(f"audit head sealed at seq {sealed.seq} hash {sealed.hash}")
