"""The GraphQL limits, as strawberry schema extensions built from settings.

Every one of them works on the parsed document, before any resolver runs:
tokens while parsing; depth, aliases (counted through fragments, which
strawberry follows once each, so circular fragments cannot loop) and, in
production, introspection during validation. graphql-core's own rules refuse
fragment cycles. Parse and validation results are cached (bounded), so a
portal's repeated queries cost nothing twice. Then, with the variables known and
still before any resolver, the query-cost limit (``archive.api.cost``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

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
from archive.settings import Settings

CACHE_SIZE = 256

ExtensionFactory = Callable[[], SchemaExtension]


def hardening_extensions(settings: Settings) -> list[ExtensionFactory]:
    """The limits for one deployment, as factories (strawberry builds one per request).

    The validation rules are built once and shared: each limiter instance makes a
    new rule class, and a new class per request would never hit the validation cache.
    """
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_query_aliases).validation_rules,
    ]
    if settings.is_production:
        rules.extend(DisableIntrospection().validation_rules)
    return [
        partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
        partial(ParserCache, maxsize=CACHE_SIZE),
        partial(AddValidationRules, rules),
        partial(ValidationCache, maxsize=CACHE_SIZE),
        partial(QueryCostLimiter, max_cost=settings.max_query_cost),
    ]
