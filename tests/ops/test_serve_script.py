"""``scripts/serve`` checks what the main job needs besides Python (tesseract with vie and
eng, the DejaVu fonts): it installs what is missing as root, or stops with the exact
command, or starts anyway with ARCHIVE_SKIP_APT=1. These tests never reach apt-get: the
machine has the packages, and the missing ones are simulated with a PATH of our own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "scripts" / "serve"
# What scripts/serve and scripts/lib/common.sh run before `exec archive serve`.
TOOLS = ("bash", "dirname", "basename", "grep", "tail", "python3", "date", "awk", "stat", "cat")


def _path_without_tesseract(tmp_path: Path, *, uid: int, tesseract_langs: str | None) -> str:
    """A PATH with the tools the script needs, a fake ``id -u`` and, optionally, a fake
    tesseract that lists ``tesseract_langs``; no apt-get, so nothing can be installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    _script(bin_dir / "id", f"echo {uid}")
    if tesseract_langs is not None:
        listing = "\\n".join(["List of available languages (2):", *tesseract_langs.split()])
        _script(bin_dir / "tesseract", f'printf "{listing}\\n"')
    return str(bin_dir)


def _script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _serve(path: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    if not (ROOT / ".venv" / "bin" / "archive").exists():
        pytest.skip("no .venv in the checkout: scripts/serve would create one")
    full = {**os.environ, **env}
    if path is not None:
        full["PATH"] = path
    return subprocess.run(
        [str(SERVE), "--help"], env=full, capture_output=True, text=True, timeout=120, check=False
    )


def test_with_everything_installed_it_starts_without_installing() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed here")
    result = _serve()
    assert result.returncode == 0, result.stderr
    assert "installing" not in result.stderr and "apt-get" not in result.stderr


def test_as_a_user_it_stops_with_the_exact_command(tmp_path: Path) -> None:
    result = _serve(_path_without_tesseract(tmp_path, uid=1000, tesseract_langs="eng osd"))
    assert result.returncode == 1
    assert "run: apt-get install -y --no-install-recommends tesseract-ocr-vie" in result.stderr
    assert "tesseract-ocr-eng" not in result.stderr


def test_skip_apt_starts_anyway_and_names_what_scans_wait_for(tmp_path: Path) -> None:
    path = _path_without_tesseract(tmp_path, uid=0, tesseract_langs=None)
    result = _serve(path, ARCHIVE_SKIP_APT="1")
    assert result.returncode == 0, result.stderr
    assert "not installing tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng" in result.stderr
    assert "PENDING_OCR" in result.stderr


def test_as_root_without_apt_get_it_stops_rather_than_guessing(tmp_path: Path) -> None:
    result = _serve(_path_without_tesseract(tmp_path, uid=0, tesseract_langs=None))
    assert result.returncode == 1
    assert "apt-get install -y --no-install-recommends tesseract-ocr" in result.stderr
