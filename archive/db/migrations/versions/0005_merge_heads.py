"""Merge the three heads 0002, 0003 and 0004 into one.

Revision ID: 0005
Revises: 0002, 0003, 0004

The pipeline, access and retention migrations were written in parallel, each on
top of 0001, which left three heads: ``alembic current`` then raises "more than
one head" and ``archive migrate`` exits 1. This revision joins them; it changes
no table. Every later migration descends from it, and a test keeps one head.
"""

from __future__ import annotations

revision = "0005"
down_revision = ("0002", "0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
