"""The GraphQL limits, as strawberry schema extensions built from settings.

Every one of them works on the parsed document, before any resolver runs:
tokens while parsing; depth, aliases (counted through fragments, which
strawberry follows once each, so circular fragments cannot loop) and, in
production, introspection during validation. Each limit refuses with its own
``extensions.code``: QUERY_TOO_DEEP, TOO_MANY_ALIASES, TOO_MANY_TOKENS.
graphql-core's own rules refuse fragment cycles (GRAPHQL_VALIDATION_FAILED).
Parse and validation results are cached (bounded), so a portal's repeated
queries cost nothing twice. Then, with the variables known and still before any
resolver, the query-cost limit (``archive.api.cost``): QUERY_TOO_COSTLY.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from graphql import ASTValidationRule, GraphQLError, ValidationContext
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from archive.api.cost import QueryCostLimiter
from archive.api.trusted import TrustedDocumentsGuard
from archive.settings import Settings

CACHE_SIZE = 256
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
# TOO_MANY_TOKENS is given where parse errors get their code: archive/api/errors.py.

ExtensionFactory = Callable[[], SchemaExtension]


def coded(rule: type[ASTValidationRule], code: str) -> type[ASTValidationRule]:
    """``rule`` with ``code`` on every error it reports, so a client can tell which
    limit refused its query. strawberry's limiters check the whole document in their
    constructor and report through the context, so the rule runs on a context that
    stamps the code; a test asserts each code, in case a new strawberry changes that."""

    class Coded(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            rule(cast(ValidationContext, _Stamping(context, code)))

    Coded.__name__ = f"{rule.__name__}_{code}"
    return Coded


class _Stamping:
    """A validation context whose reported errors carry ``extensions.code``."""

    def __init__(self, context: ValidationContext, code: str) -> None:
        self._context, self._code = context, code

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": self._code}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def hardening_extensions(settings: Settings) -> list[ExtensionFactory]:
    """The limits for one deployment, as factories (strawberry builds one per request).

    The validation rules are built once and shared: each limiter instance makes a
    new rule class, and a new class per request would never hit the validation cache.
    """
    depth = QueryDepthLimiter(max_depth=settings.max_query_depth)
    aliases = MaxAliasesLimiter(max_alias_count=settings.max_query_aliases)
    rules = [
        *(coded(rule, QUERY_TOO_DEEP) for rule in depth.validation_rules),
        *(coded(rule, TOO_MANY_ALIASES) for rule in aliases.validation_rules),
    ]
    if settings.is_production:
        rules.extend(DisableIntrospection().validation_rules)
    return [
        partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
        partial(ParserCache, maxsize=CACHE_SIZE),
        partial(AddValidationRules, rules),
        partial(ValidationCache, maxsize=CACHE_SIZE),
        TrustedDocumentsGuard,
        partial(QueryCostLimiter, max_cost=settings.max_query_cost),
    ]
