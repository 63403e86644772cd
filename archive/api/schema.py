"""``build_schema``: the slices merged into one schema, with its extensions."""

from __future__ import annotations

import logging
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from archive.api.access import AccessMutations, AccessQueries
from archive.api.access_requests import AccessRequestMutations, AccessRequestQueries
from archive.api.archival import ArchivalMutations, ArchivalQueries
from archive.api.destruction import DestructionMutations, DestructionQueries
from archive.api.errors import ErrorCodes
from archive.api.events import EventMutations, EventQueries
from archive.api.files import FileMutations
from archive.api.handover import HandoverMutations, HandoverQueries
from archive.api.hardening import ExtensionFactory
from archive.api.intake import IntakeMutations
from archive.api.lifecycle import LifecycleMutations
from archive.api.preservation import PreservationMutations
from archive.api.records import RecordMutations, RecordQueries
from archive.api.retention import RetentionMutations, RetentionQueries
from archive.api.saved_searches import (
    ResultExportMutations,
    ResultExportQueries,
    SavedSearchMutations,
    SavedSearchQueries,
)
from archive.api.statistics import StatisticsQueries
from archive.api.transfer import TransferMutations
from archive.api.transfer_import import TransferImportMutations
from archive.api.types import Record

log = logging.getLogger(__name__)


class ArchiveSchema(strawberry.Schema):
    """Logs each error as one short line.

    Strawberry logs every error with the whole query text at ERROR level, so one
    junk megabyte of query would write a megabyte of log. Unexpected errors are
    logged with their traceback by ``ErrorCodes``.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            log.info("graphql error: %.200s", error.message)


def build_schema(
    extensions: list[ExtensionFactory] | None = None,
    *,
    production: bool = False,
) -> strawberry.Schema:
    """The GraphQL schema. ``extensions`` come from the app factory (limits, caches);
    ``production`` drops the "did you mean" suggestions that map the schema for a stranger."""
    query = merge_types(
        "Query",
        (
            RecordQueries,
            AccessQueries,
            RetentionQueries,
            DestructionQueries,
            ArchivalQueries,
            StatisticsQueries,
            SavedSearchQueries,
            ResultExportQueries,
            HandoverQueries,
            AccessRequestQueries,
            EventQueries,
        ),
    )
    mutation = merge_types(
        "Mutation",
        (
            RecordMutations,
            FileMutations,
            IntakeMutations,
            AccessMutations,
            RetentionMutations,
            DestructionMutations,
            ArchivalMutations,
            SavedSearchMutations,
            ResultExportMutations,
            TransferMutations,
            HandoverMutations,
            LifecycleMutations,
            AccessRequestMutations,
            PreservationMutations,
            TransferImportMutations,
            EventMutations,
        ),
    )
    return ArchiveSchema(
        query=query,
        mutation=mutation,
        types=[Record],
        config=StrawberryConfig(disable_field_suggestions=production),
        extensions=[*(extensions or []), partial(ErrorCodes, hide_suggestions=production)],
    )


def schema_sdl() -> str:
    """The SDL checked in as ``schema.graphql``."""
    return build_schema().as_str() + "\n"
