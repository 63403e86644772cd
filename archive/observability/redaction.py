"""Keep secrets and tokens out of log lines and probe messages.

Two nets: the configured secrets by value (database password, S3 secret key,
deployment secret, metrics token), and credentials by shape (API keys, JWTs and
download tokens, which all start with base64 JSON, and whatever follows
``Bearer``). Messages are built never to contain them; this catches what a
library puts in an exception text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from archive.settings import Settings

MASK = "***"
_SHAPES = re.compile(
    r"ark_[A-Za-z0-9_-]{8,}"  # API keys
    r"|eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){1,2}"  # JWTs, download tokens ({"… in base64)
    r"|(?i:bearer|apikey)\s+[A-Za-z0-9._~+/=-]+"  # an Authorization header value
)
_MIN_SECRET = 4  # shorter values would mask ordinary words


class Redactor:
    """Replaces known secret values and credential-shaped strings with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True)
        self._values = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def __call__(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(MASK, text)
        return _SHAPES.sub(MASK, text)


def redactor_for(settings: Settings) -> Redactor:
    """A redactor that knows every secret in ``settings``."""
    return Redactor(
        [
            settings.secret_key.get_secret_value(),
            settings.s3_secret_key.get_secret_value(),
            settings.metrics_token.get_secret_value(),
            _database_password(settings.resolved_database_url),
        ]
    )


def _database_password(url: str) -> str:
    try:
        return sa.engine.make_url(url).password or ""
    except sa.exc.ArgumentError:
        return ""
