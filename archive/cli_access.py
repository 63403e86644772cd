"""``archive apikey`` (create, list, revoke) and ``archive audit verify``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Column, Table
from sqlalchemy.engine import Engine

from archive.auth.apikeys import ApiKey
from archive.cli_output import JsonOption, console, fail, line, print_json, problem
from archive.db.apikeys import SqlApiKeyStore
from archive.domain.access import Role
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
    with _key_store(Settings()) as store:
        key, issued = store.create(
            name=name, agencies=agency or [], roles=role or [Role.READER], clearance=level
        )
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
    with _key_store(Settings()) as store:
        revoked = store.revoke(key_id)
    if not revoked:
        raise fail("NOT_FOUND", f"no API key {key_id}", as_json=as_json)
    if as_json:
        print_json({"revoked": key_id})
    else:
        line(f"API key {key_id} revoked")


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        str | None, typer.Option(help="The head hash recorded elsewhere, to detect a cut tail.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the chain; exit 1 and name the first bad seq when any entry was altered,
    removed or reordered."""
    from archive.db.audit import SqlAuditLog
    from archive.domain.audit import verify_chain

    engine = _engine(Settings())
    try:
        report = verify_chain(SqlAuditLog(engine).entries(), expected_head=head)
    finally:
        engine.dispose()
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "checked": report.checked,
                "first_bad_seq": report.first_bad_seq,
                "reason": report.reason,
            }
        )
        raise typer.Exit(0 if report.ok else 1)
    if not report.ok:
        problem(
            f"audit chain broken at seq {report.first_bad_seq}: {report.reason} "
            f"({report.checked} entries verified before it)"
        )
        raise typer.Exit(1)
    line(f"audit chain intact: {report.checked} entries")
