"""eark-validator, the outside judge of our packages, run in its own virtualenv.

eark-validator 1.1.3 pins lxml==5.1.0 while the archive needs a newer lxml, so it
lives in ``~/.cache/records-archive/eark-venv`` (made by scripts/provision, or here
when missing and PyPI is reachable) and runs as a subprocess through
``scripts/eark_validate.py``, which keeps it offline and patches its known quirks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

VERSION = "1.1.3"
VENV = Path(os.environ.get("ARCHIVE_EARK_VENV", Path.home() / ".cache/records-archive/eark-venv"))
WRAPPER = Path(__file__).resolve().parents[2] / "scripts" / "eark_validate.py"


@dataclass(frozen=True)
class EarkReport:
    """The parts of the validator's JSON report the tests look at."""

    raw: dict[str, Any]

    @property
    def structure(self) -> str:
        return str(self.raw["structure"]["status"])

    def status(self, part: str) -> str:
        """``schema_results`` or ``schematron_results``: VALID or INVALID."""
        return str(self.raw["metadata"][part]["status"])

    @property
    def is_valid(self) -> bool:
        metadata = self.raw.get("metadata") or {}
        return (
            self.structure == "WellFormed"
            and metadata.get("schema_results", {}).get("status") == "VALID"
            and metadata.get("schematron_results", {}).get("status") == "VALID"
        )

    def errors(self) -> list[tuple[str, str]]:
        """(rule id, location) of every message of severity Error."""
        messages = list(self.raw["structure"].get("messages", []))
        for part in (self.raw.get("metadata") or {}).values():
            messages.extend(part.get("messages", []))
        return [(m["rule_id"], m.get("location", "")) for m in messages if m.get("severity") == "Error"]


def python() -> Path:
    """The validator's interpreter; installs it (pinned) when missing, or skips saying why."""
    interpreter = VENV / "bin" / "python"
    if interpreter.exists():
        return interpreter
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=300
        )
        subprocess.run(
            [str(interpreter), "-m", "pip", "install", "-q", f"eark-validator=={VERSION}"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"eark-validator {VERSION} is not installed and could not be: {error}")
    return interpreter


def validate(package: Path, *, as_published: bool = False) -> EarkReport:
    """eark-validator's report on a package zip (or folder), CSIP 2.0.4.

    ``as_published`` turns off our fix of its SIP14 rule (see scripts/eark_validate.py)."""
    command = [str(python()), str(WRAPPER), str(package)]
    if as_published:
        command.append("--as-published")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return EarkReport(json.loads(done.stdout))
