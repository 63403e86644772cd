"""Alembic environment: uses the connection handed over by ``archive.db.migrate``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

# Imported for their side effect: they register the tables on SQLModel.metadata.
import archive.db.access_request_tables
import archive.db.access_tables
import archive.db.archival_tables
import archive.db.destruction_tables
import archive.db.heartbeat_tables
import archive.db.intake_tables
import archive.db.lifecycle_tables
import archive.db.result_tables
import archive.db.retention_tables
import archive.db.search_tables
import archive.db.tables
import archive.db.transfer_tables
import archive.db.webhook_tables  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
