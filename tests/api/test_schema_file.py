"""schema.graphql is the published contract: it must match the code."""

from __future__ import annotations

from pathlib import Path

from archive.api.schema import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_checked_in_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "schema.graphql is stale: run `archive schema -o schema.graphql` and commit it"
    )


def test_every_type_and_field_has_a_description() -> None:
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

    from archive.api.schema import build_schema

    schema = build_schema()._schema
    missing = []
    for name, gql_type in schema.type_map.items():
        if name.startswith("__") or name in {"Query", "Mutation"}:
            continue
        if (
            isinstance(
                gql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType | GraphQLEnumType
            )
            and not gql_type.description
        ):
            missing.append(name)
        if isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in gql_type.fields.items() if not field.description]
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        missing += [f"{root.name}.{f}" for f, field in root.fields.items() if not field.description]
    assert missing == []
