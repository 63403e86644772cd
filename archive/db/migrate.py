"""Run the Alembic migrations that ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema to ``revision`` (the app's only way to create tables).

    On SQLite, foreign keys are off while the migrations run: Alembic's batch mode
    changes a table by copying it and dropping the old one, and with foreign keys on
    that DROP cascades, so every grant, page and job of every record would be
    deleted. The keys are checked once the migrations are done, and turned on again.
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Outside any transaction: inside one, SQLite ignores this pragma.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    _refuse_dangling_keys(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _refuse_dangling_keys(connection: Connection) -> None:
    """Roll the migration back rather than leave a row pointing at nothing."""
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise RuntimeError(f"migration left {len(dangling)} rows with dangling foreign keys: {dangling[:5]}")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision of the scripts. Alembic raises when there are several heads:
    migrations written in parallel must be joined by a merge revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def head_revisions() -> tuple[str, ...]:
    """The revisions the shipped migrations end at (one, while the tree has one head)."""
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def applied_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is at (several only while branches are unmerged)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


class SqlSchemaRevisions:
    """The ``SchemaRevisions`` port over one engine. The heads are read from the migration
    scripts once: they do not change while the process runs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._heads: tuple[str, ...] = ()

    def applied(self) -> tuple[str, ...]:
        return applied_revisions(self._engine)

    def heads(self) -> tuple[str, ...]:
        self._heads = self._heads or head_revisions()
        return self._heads
