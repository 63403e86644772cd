"""Engines for SQLite and PostgreSQL, built by the app factory, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, ExceptionContext

from archive.domain.errors import DatabaseUnavailable


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite gets WAL, foreign keys and a busy timeout, so
    the API, the worker and the CLI can share one file."""
    if url.startswith("sqlite"):
        _ensure_parent_dir(url)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    sa.event.listen(engine, "handle_error", _outage)
    return engine


def _outage(context: ExceptionContext) -> BaseException | None:
    """A lost or refused connection as the domain's ``DatabaseUnavailable``, so the
    API answers 503 and the worker waits, whichever repository made the call.

    SQLAlchemy still invalidates the pool on a disconnect (that runs after this
    hook), so the next checkout reconnects once the server is back. A failed
    pre-ping is left alone: the pool replaces that connection by itself.
    """
    if context.is_pre_ping or not _is_outage(context):
        return None
    # The driver's text may carry host names and SQL: it stays in the chained cause.
    return DatabaseUnavailable("the database is not reachable; try again shortly")


# SQLite reports a syntax error or a missing table as an OperationalError too;
# only these mean the file is busy or out of reach for now.
_SQLITE_OUTAGES = ("locked", "busy", "unable to open", "disk i/o", "disk is full")


def _is_outage(context: ExceptionContext) -> bool:
    failure = context.sqlalchemy_exception
    if context.is_disconnect or isinstance(failure, sa.exc.InterfaceError):
        return True
    if not isinstance(failure, sa.exc.OperationalError):
        return False
    if context.dialect.name == "sqlite":
        return any(marker in str(failure.orig).lower() for marker in _SQLITE_OUTAGES)
    # PostgreSQL: refused connections, shutdowns, cancellations, deadlocks and
    # serialization failures; each one is worth trying again.
    return True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _ensure_parent_dir(url: str) -> None:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
