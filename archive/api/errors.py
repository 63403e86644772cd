"""Errors on the wire: expected ones keep their message and carry ``extensions.code``;
anything unexpected is masked, so no stack, SQL or engine detail leaks."""

from __future__ import annotations

import logging
from typing import Any

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from archive.domain.errors import ArchiveError

log = logging.getLogger(__name__)

INTERNAL = "INTERNAL_SERVER_ERROR"
INVALID_REQUEST = "GRAPHQL_VALIDATION_FAILED"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
PARSE_ABORTED = "Parsing aborted."  # the end of graphql-core's token-limit message


class ErrorCodes(MaskErrors):
    """Mask unexpected errors and give every error an ``extensions.code``."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__(error_message="Unexpected error.")
        self._hide_suggestions = hide_suggestions

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        coded = [_with_code(e) for e in errors]
        return [_without_suggestion(e) for e in coded] if self._hide_suggestions else coded


def _with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GraphQLError):
        original = original.original_error
    if isinstance(original, ArchiveError):
        return _copy(error, original.message, original.code)
    if original is None:
        code = (error.extensions or {}).get("code", INVALID_REQUEST)
        return _copy(error, error.message, str(code))
    log.error("unexpected error in %s", error.path, exc_info=original)
    return _copy(error, "Unexpected error.", INTERNAL)


def _without_suggestion(error: GraphQLError) -> GraphQLError:
    """Cut graphql-core's "Did you mean ...?" (fields, arguments, types, enum values):
    in production it would let a stranger map the schema that introspection hides."""
    message, found, _ = error.message.partition(" Did you mean")
    if not found:
        return error
    return _copy(error, message.strip(), str((error.extensions or {}).get("code", INVALID_REQUEST)))


def _copy(error: GraphQLError, message: str, code: str) -> GraphQLError:
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": code},
    )


def with_code(error: dict[str, Any]) -> None:
    """Give a serialised error that bypassed ``ErrorCodes`` (parse errors end the
    operation before extensions see the result) its ``extensions.code``. Anything
    else without a code is masked, since nothing vouched for its message."""
    extensions = error.setdefault("extensions", {})
    if "code" in extensions:
        return
    message = str(error.get("message", ""))
    if message.startswith("Syntax Error"):
        # graphql-core gives the token limit no error type of its own, only this text.
        extensions["code"] = TOO_MANY_TOKENS if PARSE_ABORTED in message else PARSE_FAILED
        return
    error["message"] = "Unexpected error."
    extensions["code"] = INTERNAL
