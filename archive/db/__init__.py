"""The metadata database: sqlmodel tables, Alembic migrations and the SQL repository.

The same tables and migrations run on SQLite (embedded) and PostgreSQL.
"""
