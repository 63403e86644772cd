"""The query-cost limit: what an operation would cost, refused before it runs.

Depth, alias and token limits bound the document, not the work: 30 aliased
``search(first: 100)`` asking for every page's text, thumbnails and recipients
pass them all and build gigabytes. The cost of an operation is estimated from
its document and its variables before any resolver runs:

- every field costs 1, and the heavy ones more (``PRICES``: page text,
  thumbnails, recipients, signatures, download links);
- a connection's ``edges`` (or ``nodes``) cost ``first`` times their selection,
  and nested connections multiply;
- fragments count where they are spread (a cycle counts once: graphql-core
  refuses cycles anyway).

An operation above ``ARCHIVE_MAX_QUERY_COST`` answers ``QUERY_TOO_COSTLY`` with its
cost and the limit, and nothing runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

PRICES: Mapping[str, int] = {
    "Record.pages": 50,  # every page's text: up to the page cap per record
    "Record.thumbnails": 20,  # PNG previews as data: URLs
    "Record.recipients": 5,  # up to RECIPIENTS_MAX entries
    "Record.signatures": 5,
    "Record.download": 10,  # signs a link and appends to the audit chain
    "Record.processing": 2,
    "Record.signatureStatus": 2,
    "Record.retention": 2,
    "Record.holds": 5,  # every hold naming the record, each counted
    "Record.destructionReview": 2,  # one batched query per page of records
    "Record.history": 5,  # every metadata version, each with its diff
    "Record.relations": 5,  # every relation, and the related records read under the scope
    "Record.lifecycle": 2,
    "Record.edxmlIntakes": 2,  # one read of the record and of its intakes
    "Record.files": 10,  # up to ARCHIVE_MAX_RECORD_FILES files, each with its versions
    "RecordFile.pages": 50,  # every page's text of the file
    "RecordFile.versions": 5,
    "RecordFile.download": 10,  # signs a link and appends to the audit chain
    "RecordFileVersion.download": 10,
}
"""Cost per node of the heavy fields, on top of their selection; any other field costs 1."""

LIST_FIELDS = frozenset({"edges", "nodes"})


QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    prices: Mapping[str, int]
    default_first: int
    spreading: set[str] = field(default_factory=set)

    def selection(self, selections: SelectionSetNode | None, parent: GraphQLNamedType, size: int) -> int:
        if selections is None:
            return 0
        return sum(self._one(node, parent, size) for node in selections.selections)

    def _one(self, node: object, parent: GraphQLNamedType, size: int) -> int:
        if isinstance(node, FieldNode):
            return self._field(node, parent, size)
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition
            target = self.schema.get_type(condition.name.value) if condition else parent
            return self.selection(node.selection_set, target or parent, size)
        if isinstance(node, FragmentSpreadNode):
            return self._spread(node.name.value, parent, size)
        return 0

    def _spread(self, name: str, parent: GraphQLNamedType, size: int) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.spreading:
            return 0
        self.spreading.add(name)
        try:
            target = self.schema.get_type(fragment.type_condition.name.value) or parent
            return self.selection(fragment.selection_set, target, size)
        finally:
            self.spreading.discard(name)

    def _field(self, node: FieldNode, parent: GraphQLNamedType, size: int) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0  # __typename; introspection is off in production
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 0  # validation reports it
        # A connection hands its page size to its own ``edges``, and no further down.
        first = definition.args.get("first")
        child_size = 1 if first is None else self._first(node, first.default_value)
        inner = self.selection(node.selection_set, get_named_type(definition.type), child_size)
        own = self.prices.get(f"{parent.name}.{name}", 1)
        times = size if name in LIST_FIELDS else 1
        if "ids" in definition.args:  # nodes(ids:): one selection per id asked for
            times = max(1, self._count(node, "ids"))
        return times * (own + inner)

    def _count(self, node: FieldNode, argument_name: str) -> int:
        """How many values a list argument carries, literal or from the variables."""
        for argument in node.arguments or ():
            if argument.name.value != argument_name:
                continue
            value = argument.value
            if isinstance(value, ListValueNode):
                return len(value.values)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                return len(given) if isinstance(given, list) else 1
            return 1
        return 0

    def _first(self, node: FieldNode, declared: object) -> int:
        fallback = declared if isinstance(declared, int) else self.default_first
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(0, int(value.value))
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                return max(0, given) if isinstance(given, int) else fallback
        return fallback


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    prices: Mapping[str, int] = PRICES,
    default_first: int = 20,
) -> int:
    """The estimated cost of the operation that would run (0 when there is none)."""
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, fragments, variables or {}, prices, default_first)
    return walk.selection(operation.selection_set, root, 1)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


class QueryCostLimiter(SchemaExtension):
    """Refuses an operation whose estimated cost exceeds ``max_cost``, after validation
    and before execution (variables are known by then, so ``first: $n`` counts as sent)."""

    def __init__(self, *, max_cost: int, default_first: int = 20) -> None:
        self._max_cost = max_cost
        self._default_first = default_first

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            cost = operation_cost(
                context.schema._schema,
                document,
                operation_name=context.operation_name,
                variables=context.variables,
                default_first=self._default_first,
            )
            request = getattr(context.context, "request", None)
            if request is not None:
                request.state.query_cost = cost  # what the rate limit charges (archive.api.limits)
            if cost > self._max_cost:
                # A result set here means strawberry skips execution; an exception
                # raised here would bypass the error masking and lose its code.
                context.result = ExecutionResult(data=None, errors=[self._refusal(cost)])
        yield

    def _refusal(self, cost: int) -> GraphQLError:
        message = (
            f"the query would cost {cost}, above the limit of {self._max_cost}: "
            "ask for fewer records per page, fewer aliases or fewer heavy fields"
        )
        return GraphQLError(message, extensions={"code": QUERY_TOO_COSTLY})
