"""Format identification by fido against PRONOM: by the bytes, never the file name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from archive.samples import render_pdf
from archive.settings import Settings
from indexing.formats import FidoIdentifier
from tests.support.signing import make_pki, sign_pdf


@pytest.fixture(scope="module")
def fido() -> FidoIdentifier:
    python = Settings(_env_file=None).resolved_fido_python  # type: ignore[call-arg]
    if not python.is_file():
        pytest.skip(f"fido is not provisioned at {python} (scripts/provision installs it)")
    return FidoIdentifier(python)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


def test_a_pdf_is_named_by_its_bytes_even_under_another_name(fido: FidoIdentifier, tmp_path: Path) -> None:
    pdf = tmp_path / "report.html"  # the name lies; the bytes do not
    pdf.write_bytes(render_pdf())
    found = fido.identify([pdf])[pdf]
    assert found.puid is not None and found.puid.startswith("fmt/")
    assert found.mime_type == "application/pdf"
    assert "PDF" in found.name and found.version
    assert found.basis == "signature"


def test_several_files_in_one_run_each_get_their_own_answer(fido: FidoIdentifier, tmp_path: Path) -> None:
    signed = tmp_path / "signed.bin"
    signed.write_bytes(sign_pdf(render_pdf(), make_pki().signer, make_pki()))
    png = tmp_path / "scan.pdf"
    png.write_bytes(_png())
    text = tmp_path / "notes.pdf"
    text.write_text("plain words, no signature of any format\n")
    found = fido.identify([signed, png, text])
    assert found[signed].mime_type == "application/pdf"
    assert found[png].puid == "fmt/11" and found[png].mime_type == "image/png"
    # A .pdf name is not enough: nothing matched, and the answer says so.
    assert not found[text].identified and found[text].puid is None


def test_container_formats_are_looked_into(fido: FidoIdentifier, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    plain_zip = tmp_path / "bundle.docx"
    plain_zip.write_bytes(buffer.getvalue())
    found = fido.identify([plain_zip])[plain_zip]
    assert found.puid == "x-fmt/263"  # a ZIP file, whatever its name claims


def test_the_tool_names_itself_and_its_signature_release(fido: FidoIdentifier) -> None:
    tool = fido.tool
    assert tool.name == "fido" and tool.version
    assert tool.signatures.startswith("PRONOM v")


def test_a_missing_install_is_a_clear_service_error(tmp_path: Path) -> None:
    from archive.domain.errors import ServiceUnavailable

    with pytest.raises(ServiceUnavailable, match="scripts/provision"):
        FidoIdentifier(tmp_path / "nowhere" / "python").identify([tmp_path])


def test_many_files_are_split_across_processes_and_each_keeps_its_answer(
    fido: FidoIdentifier, tmp_path: Path
) -> None:
    png, pdf = _png(), render_pdf()
    paths = []
    for n in range(120):  # more than one chunk's worth: two processes on two cores
        path = tmp_path / f"f{n}"
        path.write_bytes(png if n % 2 else pdf)
        paths.append(path)
    found = fido.identify(paths)
    assert [found[p].mime_type for p in paths] == ["application/pdf", "image/png"] * 60
