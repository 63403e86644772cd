"""The schema may not break clients of the released one without saying so: every breaking
change against ``schema.released.graphql`` is listed, with its reason, in ``schema.breaks``."""

from __future__ import annotations

from pathlib import Path

import graphql

from archive.api.compatibility import acknowledged, break_lines, changelog, vague_deprecations
from archive.api.schema import build_schema, schema_sdl

ROOT = Path(__file__).resolve().parents[2]
RELEASED = ROOT / "schema.released.graphql"
BREAKS = ROOT / "schema.breaks"


def test_every_breaking_change_is_acknowledged() -> None:
    breaks = break_lines(RELEASED.read_text(encoding="utf-8"), schema_sdl())
    listed = acknowledged(BREAKS.read_text(encoding="utf-8"))
    unacknowledged = [line for line in breaks if line not in listed]
    assert unacknowledged == [], (
        "schema.graphql breaks clients of the released schema; if that is deliberate, add each line "
        "to schema.breaks with its reason (see the comment there):\n" + "\n".join(unacknowledged)
    )
    stale = sorted(listed - set(breaks))
    assert stale == [], "schema.breaks acknowledges breaks that no longer happen:\n" + "\n".join(stale)


def test_the_check_sees_removed_fields_arguments_and_narrowed_types() -> None:
    released = (
        "type Query { record(id: ID!): Record  search(query: String, first: Int): [Record!]! }\n"
        "type Record { id: ID!  subject: String  pages: Int }"
    )
    current = (
        "type Query { record(id: ID!, as: String!): Record  search(first: Int): [Record!]! }\n"
        "type Record { id: ID!  subject: Int }"
    )
    assert break_lines(released, current) == [
        "ARG_REMOVED: Argument Query.search(query:) was removed.",
        "FIELD_CHANGED_KIND: Field Record.subject changed type from String to Int.",
        "FIELD_REMOVED: Field Record.pages was removed.",
        "REQUIRED_ARG_ADDED: A required argument Query.record(as:) was added.",
    ]
    assert break_lines(released, released + "\ntype Extra { id: ID }") == []  # additions never break
    assert acknowledged("FIELD_REMOVED: Field Record.pages was removed.  # gone in 0.3\n# note\n\n") == {
        "FIELD_REMOVED: Field Record.pages was removed."
    }


def test_every_deprecation_says_why_and_from_which_release_it_is_gone() -> None:
    assert vague_deprecations(build_schema()._schema) == []
    example = graphql.build_schema(
        'type Query { a: Int @deprecated(reason: "use b")\n'
        '  b(x: Int @deprecated(reason: "unused; removed in 0.3")): Int }\n'
        "enum E { OLD @deprecated NEW }"
    )
    assert vague_deprecations(example) == ["E.OLD: No longer supported", "Query.a: use b"]


def test_the_schema_changelog_is_generated_from_the_schemas() -> None:
    """``schema.changelog.md`` lists every addition, deprecation and acknowledged break
    since the release, exactly as ``archive schema --changelog`` writes it."""
    expected = changelog(
        RELEASED.read_text(encoding="utf-8"),
        (ROOT / "schema.graphql").read_text(encoding="utf-8"),
        BREAKS.read_text(encoding="utf-8"),
    )
    assert (ROOT / "schema.changelog.md").read_text(encoding="utf-8") == expected, (
        "schema.changelog.md is stale: run `archive schema -o schema.graphql --changelog schema.changelog.md`"
    )
    assert "- field `Query.nodes`" in expected and "## Breaking (acknowledged)" in expected
