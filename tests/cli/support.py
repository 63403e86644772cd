"""Running `archive` commands in-process and reading their `--json` document."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from archive.cli import app


def run(*args: str, code: int = 0) -> str:
    """The command's stdout; fails the test unless it exits with ``code``."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.stdout


def run_json(*args: str, code: int = 0) -> Any:
    """The one JSON document the command prints with ``--json``."""
    return json.loads(run(*args, "--json", code=code))
