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

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
)

REMOVAL = re.compile(r"\bremoved in \d+\.\d+")


def break_lines(released_sdl: str, current_sdl: str) -> list[str]:
    """One line per breaking change, ``KIND: description``, sorted."""
    changes = find_breaking_changes(build_schema(released_sdl), build_schema(current_sdl))
    return sorted(f"{change.type.name}: {change.description}" for change in changes)


def acknowledged(text: str) -> set[str]:
    """The break lines a ``schema.breaks`` file acknowledges (comments and blanks dropped)."""
    lines = (raw.split("#", 1)[0].strip() for raw in text.splitlines())
    return {line for line in lines if line}


def vague_deprecations(schema: GraphQLSchema) -> list[str]:
    """Deprecated fields, arguments and enum values whose reason does not say from which
    release they are gone (``… removed in 0.3``): a portal must know how long it has."""
    found = []
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in named.fields.items():
                found += _vague(f"{name}.{field_name}", getattr(field, "deprecation_reason", None))
                for arg_name, arg in getattr(field, "args", {}).items():
                    found += _vague(f"{name}.{field_name}({arg_name}:)", arg.deprecation_reason)
        if isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                found += _vague(f"{name}.{value_name}", value.deprecation_reason)
    return sorted(found)


def _vague(where: str, reason: str | None) -> list[str]:
    return [] if reason is None or REMOVAL.search(reason) else [f"{where}: {reason}"]
