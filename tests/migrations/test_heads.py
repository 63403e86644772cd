"""The migration scripts form one line of history: exactly one head.

Migrations written in parallel (each on top of the same revision) leave several
heads; ``archive migrate`` can then not name the revision it reached and exits 1.
When this fails, join them: ``alembic merge`` (see 0005_merge_heads.py).
"""

from __future__ import annotations

from alembic.script import ScriptDirectory

from archive.db.migrate import MIGRATIONS, alembic_config, head_revision


def test_the_migrations_have_exactly_one_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    heads = scripts.get_heads()
    assert len(heads) == 1, f"{len(heads)} heads in {MIGRATIONS}: {sorted(heads)}; merge them into one"
    assert head_revision() == heads[0]


def test_every_revision_leads_to_the_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    (head,) = scripts.get_heads()
    reachable = {r.revision for r in scripts.walk_revisions(base="base", head=head)}
    assert reachable == {r.revision for r in scripts.walk_revisions()}  # no orphan branch
