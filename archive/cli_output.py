"""How the ``archive`` command writes: lines that never wrap, or one JSON document.

Scripts read what the command prints, so a path or an id must come out whole
whatever the terminal. Without a terminal and with ``COLUMNS`` unset, rich wraps
at 80 columns: both consoles here soft-wrap instead (long lines are left to the
terminal), and ``line`` writes text as it is, without markup, so a path with
brackets in it is not taken for a style. Tables are for people; scripts use
``--json``, which prints exactly one JSON document on stdout while progress bars
and diagnostics stay on stderr.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of text.")
]


def line(text: str) -> None:
    """One line on stdout, exactly as given: no markup, no wrapping."""
    typer.echo(text)


def problem(text: str) -> None:
    """One line on stderr, exactly as given."""
    typer.echo(text, err=True)


def print_json(document: Mapping[str, Any]) -> None:
    """The command's one JSON document, on stdout (UTF-8, Vietnamese unescaped)."""
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=_plain))


def fail(code: str, message: str, *, as_json: bool) -> typer.Exit:
    """Report an expected failure (a JSON ``error`` object, or a line on stderr);
    the caller raises the returned exit, so the type checker sees the command end."""
    if as_json:
        print_json({"error": {"code": code, "message": message}})
    else:
        problem(f"{code}: {message}")
    return typer.Exit(1)


def _plain(value: object) -> Any:
    """What ``json`` cannot write by itself: dates, paths, enums, dataclasses, sets."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
