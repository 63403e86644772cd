"""Times each GraphQL operation and names it, for the metrics and the request log.

A schema extension, so it sees the operation name whether the client sent it or
it comes from the parsed document, and times parsing and validation too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from archive.api.context import Context


class OperationObserver(SchemaExtension):
    """Observes ``archive_graphql_operation_seconds`` and names the operation in the request's state."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context.context
        if not isinstance(context, Context):
            return
        metrics = context.services.metrics
        label = metrics.operation_label(self.execution_context.operation_name)
        metrics.graphql_seconds.labels(label).observe(time.perf_counter() - started)
        if context.request is not None:
            context.request.state.operation = label
