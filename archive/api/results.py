"""Typed outcomes several mutations share."""

from __future__ import annotations

import strawberry


@strawberry.type(description="The caller may not do this (for example, deposit for another agency).")
class ForbiddenError:
    message: str = strawberry.field(description="What was refused.")
    code: str = strawberry.field(description="Always FORBIDDEN.")


@strawberry.type(description="No such record, or one the caller may not read: the two look the same.")
class NotFoundError:
    message: str = strawberry.field(description="What was not found.")
    code: str = strawberry.field(description="Always NOT_FOUND.")


@strawberry.type(description="An argument has a value the archive refuses.")
class InvalidArgumentError:
    argument: str = strawberry.field(description="The argument at fault.")
    message: str = strawberry.field(description="What is wrong with it.")
    code: str = strawberry.field(description="Always VALIDATION.")
