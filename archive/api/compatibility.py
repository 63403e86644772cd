"""Schema compatibility: what a new ``schema.graphql`` breaks for clients of the released one.

``schema.released.graphql`` is the schema of the last release, replaced only when a
release is cut. graphql-core's ``find_breaking_changes`` lists what the current schema
breaks for a client written against it (a field or argument removed, a type changed
incompatibly, a new required argument …). Each break must be acknowledged, with a
reason, in ``schema.breaks`` (one line per break, exactly as ``break_lines`` prints it,
then ``#`` and the reason); ``tests/api/test_schema_compatibility.py`` fails on any break
that is not, and on an acknowledgement that matches no break any more.
"""

from __future__ import annotations

from graphql import build_schema, find_breaking_changes


def break_lines(released_sdl: str, current_sdl: str) -> list[str]:
    """One line per breaking change, ``KIND: description``, sorted."""
    changes = find_breaking_changes(build_schema(released_sdl), build_schema(current_sdl))
    return sorted(f"{change.type.name}: {change.description}" for change in changes)


def acknowledged(text: str) -> set[str]:
    """The break lines a ``schema.breaks`` file acknowledges (comments and blanks dropped)."""
    lines = (raw.split("#", 1)[0].strip() for raw in text.splitlines())
    return {line for line in lines if line}
