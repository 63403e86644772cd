"""Runs INSIDE fido's virtualenv (``scripts/provision`` makes it): identifies the files
whose paths arrive as a JSON list on stdin and prints one JSON object on stdout.

Standard library and fido only: this file is executed by another interpreter, never
imported by the archive. fido prints its matches through a callback, so the callback
collects them instead of letting fido write CSV.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any


def _text(element: Any, tag: str) -> str | None:
    found = element.find(tag)
    return None if found is None or found.text is None else str(found.text)


def main() -> int:
    fido_module = importlib.import_module("fido.fido")
    versions = importlib.import_module("fido.versions")
    package = importlib.import_module("fido")
    paths: list[str] = json.load(sys.stdin)
    found: dict[str, list[dict[str, Any]]] = {}

    def collect(name: str, matches: list[tuple[Any, str]], delta_t: float, matchtype: str = "") -> None:
        found[name] = [
            {
                "puid": identifier.get_puid(fmt),
                "name": _text(fmt, "name"),
                "version": _text(fmt, "version"),
                "mime": _text(fmt, "mime"),
                "basis": matchtype,
            }
            for fmt, _signature in matches
        ]

    local = versions.get_local_versions()
    # What fido's own main() does before building its Fido: the release named in
    # conf/versions.xml, not the module's stale default file names.
    fido_module.defaults["containersignature_file"] = local.pronom_container_signature
    formats = [local.pronom_signature, local.fido_extension_signature]
    identifier = fido_module.Fido(quiet=True, handle_matches=collect, format_files=formats)
    for path in paths:
        found.setdefault(path, [])
        identifier.identify_file(path, extension=False)
    tool = {"version": package.__version__, "pronom": str(local.pronom_version)}
    json.dump({"tool": tool, "files": found}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
