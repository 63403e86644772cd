"""Row locks that serialise a legal hold and the start of a purge on one record.

PostgreSQL: ``SELECT … FOR UPDATE`` on the record's row; whoever commits first
wins and the other then sees its write. SQLite has no row locks, so the
transaction starts with ``BEGIN IMMEDIATE``, which takes the database's write
lock before the first read: the same serialisation, coarser.
"""

from __future__ import annotations

from sqlmodel import Session

from archive.db.tables import RecordRow


def lock_record(session: Session, record_id: str) -> RecordRow | None:
    """Lock the record's row for the rest of the transaction; None when it is gone.

    Must be the session's first statement (SQLite starts its transaction here).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return session.get(RecordRow, record_id, with_for_update=True, populate_existing=True)
