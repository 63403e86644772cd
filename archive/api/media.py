"""The media type of GraphQL responses, as the GraphQL-over-HTTP specification asks.

A client that accepts ``application/graphql-response+json`` (and does not prefer
``application/json`` to it) gets that media type, with status codes that say what
happened: 400 when the request never reached execution (a document that does not
parse or validate, variables that do not coerce, a limit that refused the
operation), and then no ``data`` entry at all; 200 once execution ran, even with
field errors. Every other client (``application/json``, ``*/*``, no Accept) gets
``application/json`` and status 200, as before the specification had its own type.
"""

from __future__ import annotations

from strawberry.types import ExecutionResult

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def prefers_graphql_response(accept: str | None) -> bool:
    """Whether ``accept`` names the GraphQL response type with a weight at least that of JSON."""
    if not accept:
        return False
    weights = dict(_weighted(item) for item in accept.split(","))
    ours = weights.get(GRAPHQL_RESPONSE, 0.0)
    return ours > 0 and ours >= weights.get(JSON, 0.0)


def is_request_error(result: ExecutionResult) -> bool:
    """Whether execution never started: no data, and no error belongs to a field."""
    return result.data is None and bool(result.errors) and all(not e.path for e in result.errors or [])


def _weighted(item: str) -> tuple[str, float]:
    media_type, *parameters = (part.strip() for part in item.split(";"))
    weight = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
    return media_type.lower(), weight
