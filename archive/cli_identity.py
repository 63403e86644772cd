"""Who acts when someone runs ``archive``: the local operator, or an API key it was given.

Every command that changes something or reads records runs as a ``Principal`` so the
services can check and audit it like any other caller. Without ``--api-key`` (or
``ARCHIVE_CLI_API_KEY``) that is ``local:<os user>``; with one, the key is verified
exactly like on the HTTP path, and a bad key is refused and audited.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the command line imports this module for its option; the rest loads on use
    from archive.domain.access import Principal
    from archive.services.container import Services
    from archive.settings import Settings

API_KEY_ENV = "ARCHIVE_CLI_API_KEY"
CLI_CLIENT = '{"via":"cli"}'

ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar=API_KEY_ENV,
        help="Act as this API key instead of the local operator (local:<os user>).",
        show_envvar=True,
    ),
]


def os_user() -> str:
    """The operating-system user running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in a container
        return "unknown"


def acting_principal(services: Services, api_key: str | None) -> Principal:
    """The principal a command acts as; a bad key is audited and ends the command (exit 1)."""
    from archive.auth.errors import Unauthenticated
    from archive.domain.audit import Outcome
    from archive.services.audit import append
    from archive.services.identity import api_key_principal, local_operator

    if not api_key:
        return local_operator(os_user())
    try:
        return api_key_principal(services, api_key.strip())
    except Unauthenticated as exc:
        append(
            services,
            actor="unauthenticated",
            action="auth.denied",
            target="cli",
            outcome=Outcome.DENIED,
            details={"reason": exc.reason[:200]},
            client=CLI_CLIENT,
        )
        typer.echo(f"{exc.code}: {exc.MESSAGE}", err=True)
        raise typer.Exit(1) from exc


@contextmanager
def cli_services(settings: Settings, *, api_key: str | None = None) -> Iterator[tuple[Services, Principal]]:
    """Services for one command and the principal it acts as; closed afterwards."""
    from archive.factory import build_services

    services = build_services(settings)
    try:
        yield services, acting_principal(services, api_key)
    finally:
        asyncio.run(services.close())
