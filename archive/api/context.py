"""The typed context every resolver gets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

from starlette.requests import Request

from archive.api.loaders import Loaders
from archive.domain.access import Principal
from archive.domain.audit import DetailValue, Outcome
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Context:
    """Per request: the services, the caller, its client, and the HTTP request."""

    services: Services
    principal: Principal
    request: Request | None = None
    client: ClientInfo = field(default_factory=ClientInfo)
    loaders: Loaders | None = None

    def __post_init__(self) -> None:
        if self.loaders is None:
            self.loaders = Loaders.for_request(self.services, self.principal)

    @property
    def load(self) -> Loaders:
        """The request's batch loaders."""
        assert self.loaders is not None
        return self.loaders

    async def audit(
        self,
        action: str,
        target: str,
        outcome: Outcome = Outcome.OK,
        details: Mapping[str, DetailValue] | None = None,
    ) -> None:
        """Append an entry for this caller to the audit chain."""
        await audit(self.services, self.principal, self.client, action, target, outcome, details)

    async def blocking(
        self, action: Callable[Concatenate[Services, Principal, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a blocking service call (``action(services, principal, ...)``) as this caller,
        in a thread: the service calls that read or write the database never run on the loop."""
        return await asyncio.to_thread(action, self.services, self.principal, *args, **kwargs)
