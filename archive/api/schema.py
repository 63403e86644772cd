"""``build_schema``: the slices merged into one schema, with its extensions."""

from __future__ import annotations

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types

from archive.api.errors import ErrorCodes
from archive.api.records import RecordMutations, RecordQueries
from archive.api.retention import RetentionMutations, RetentionQueries
from archive.api.types import Record


def build_schema(
    extensions: list[SchemaExtension | type[SchemaExtension]] | None = None,
) -> strawberry.Schema:
    """The GraphQL schema. ``extensions`` come from the app factory (limits, caches)."""
    query = merge_types("Query", (RecordQueries, RetentionQueries))
    mutation = merge_types("Mutation", (RecordMutations, RetentionMutations))
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        types=[Record],
        extensions=[*(extensions or []), ErrorCodes],  # type: ignore[list-item]
    )


def schema_sdl() -> str:
    """The SDL checked in as ``schema.graphql``."""
    return build_schema().as_str() + "\n"
