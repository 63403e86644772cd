"""Logging set-up: one JSON object per line (or plain text), with the request id.

A stdlib ``logging.Formatter`` rather than structlog: every library we use logs
through stdlib logging already, and one formatter on the root handler covers
them all with no second logging API to learn.

``configure_logging`` is called by ``archive serve`` and ``archive worker`` at
start-up, never at import. It also caps the loggers that would write bodies,
URLs or SQL parameters: uvicorn's access log (a download path holds its token),
httpx and httpcore (URLs), and SQLAlchemy's engine (statement parameters are
record metadata).
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from archive.observability.redaction import Redactor, redactor_for
from archive.settings import Settings

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# Loggers held at WARNING whatever the level: at INFO or DEBUG they print request
# URLs, bodies or SQL parameters.
QUIET_LOGGERS = ("httpx", "httpcore", "sqlalchemy.engine", "sqlalchemy.pool", "elastic_transport", "urllib3")
# Loggers held at ERROR: the Elasticsearch client warns with a traceback on every
# failed try of a node; the worker already logs an outage once when it starts and
# once when it ends.
SILENT_LOGGERS = ("elastic_transport.node_pool", "elastic_transport.transport")
_HANDLER_NAME = "archive"
# The attributes every LogRecord has; anything else came in through ``extra=``.
# uvicorn adds ``color_message``, the message again with terminal colour codes.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.processName,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # Masked value by value, so a mask can never cut through the JSON syntax.
        clean = {k: self._redact(v) if isinstance(v, str) else v for k, v in entry.items()}
        return json.dumps(clean, ensure_ascii=False, default=lambda v: self._redact(str(v)))


class TextFormatter(logging.Formatter):
    """The development format: readable, with the request id and extras at the end."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(processName)s %(levelname)s %(name)s %(message)s")
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        request_id = REQUEST_ID.get()
        if request_id:
            extras = {"request_id": request_id, **extras}
        if extras:
            text += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return self._redact(text)


def configure_logging(settings: Settings, *, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) in the configured format.

    Idempotent: a second call replaces the handler the first installed. Returns it.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    redact = redactor_for(settings)
    json_format = settings.resolved_log_format == "json"
    handler.setFormatter(JsonFormatter(redact) if json_format else TextFormatter(redact))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
    for name in SILENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # Our own request line replaces the access log; its paths would show download tokens.
    logging.getLogger("uvicorn.access").disabled = True
    return handler
