"""Run eark-validator 1.1.3 offline on one package; print its report as JSON.

Runs with the Python of its own virtualenv (eark-validator pins lxml==5.1.0, the
archive uses a newer lxml), as a subprocess of tests/support/eark.py and of
anyone checking a package by hand:

    ~/.cache/records-archive/eark-venv/bin/python scripts/eark_validate.py PACKAGE.zip

Two known quirks are patched here, without editing the installed files:
- at import it downloads four CSIP vocabularies from earkcsip.dilcis.eu; there is
  no network, and the wheel bundles the same files: ``urlopen`` is pointed at them;
- its IANA MIME-type list has CRLF line endings and it strips only "\\n", so every
  media type in its test ends in "\\r" and no MIMETYPE ever matches: the test is
  rebuilt from the same file with the line endings stripped.
Standard library and eark-validator only: this file runs outside the project.
"""

from __future__ import annotations

import io
import sys
import urllib.request
from importlib import resources
from pathlib import Path

SPEC = "V2.0.4"  # TT05 extends CSIP 2.0.4


_SIP14_CONTEXT = "mets:agent[@ROLE = 'CREATOR']/mets:note\">"
_SIP14_CONTEXT_FIXED = "mets:agent[@ROLE = 'CREATOR'][@TYPE = 'ORGANIZATION']/mets:note\">"
_SIP14_TEST = "test=\"@NOTETYPE = 'IDENTIFICATIONCODE'\""
_SIP14_TEST_FIXED = "test=\"@csip:NOTETYPE = 'IDENTIFICATIONCODE'\""


def _bundled_urlopen(url: str, *args: object, **kwargs: object) -> io.BytesIO:
    name = url.rsplit("/", 1)[-1]
    vocabs = resources.files("eark_validator.ipxml.resources.vocabs")
    if not url.startswith("https://earkcsip.dilcis.eu/schema/") or not vocabs.joinpath(name).is_file():
        raise OSError(f"offline: refusing to fetch {url}")
    return io.BytesIO(vocabs.joinpath(name).read_bytes())


def _patch() -> None:
    urllib.request.urlopen = _bundled_urlopen  # type: ignore[assignment]
    from eark_validator.ipxml import schematron

    iana = resources.files("eark_validator.ipxml.resources.vocabs").joinpath("IANA.txt").read_text("utf-8")
    tests = [f"(@MIMETYPE = '{line.strip()}')" for line in iana.splitlines() if line.strip()]
    schematron.schematron_tests.tests["@MIMETYPE_IANA_test"] = " or ".join(tests)
    if "--as-published" not in sys.argv:
        # SIP14 tests an unqualified @NOTETYPE, which METS forbids on a note (its
        # anyAttribute is ##other), and fires on every CREATOR note, the software
        # agent's SOFTWARE VERSION note (CSIP16) included: no schema-valid SIP passes it.
        # The E-ARK SIP text means @csip:NOTETYPE on the submitting organisation's note.
        # The rule files are read as text with these keys replaced, so this patch rides
        # on the validator's own substitution, and --as-published turns it off.
        schematron.schematron_tests.tests[_SIP14_CONTEXT] = _SIP14_CONTEXT_FIXED
        schematron.schematron_tests.tests[_SIP14_TEST] = _SIP14_TEST_FIXED


def main(argv: list[str]) -> int:
    _patch()
    from eark_validator import packages
    from eark_validator.specifications.specification import SpecificationVersion

    path = Path(next(a for a in argv[1:] if not a.startswith("--")))
    report = packages.PackageValidator(path, SpecificationVersion(SPEC)).validation_report
    sys.stdout.write(report.model_dump_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
