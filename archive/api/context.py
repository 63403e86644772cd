"""The typed context every resolver gets."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from archive.domain.access import Principal
from archive.services.container import Services


@dataclass
class Context:
    """Per request: the services, the caller, and the HTTP request."""

    services: Services
    principal: Principal
    request: Request | None = None
