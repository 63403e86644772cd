"""Sample Vietnamese official documents in the Decree 30 layout.

For demos (``archive samples``), tests and benchmarks: text PDFs with a real
text layer, drawn with a font that has every Vietnamese glyph.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from fpdf import FPDF

_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
)


def vietnamese_font() -> Path:
    """A TrueType font with the Vietnamese glyphs: Debian's DejaVu, or matplotlib's copy."""
    for candidate in _FONT_CANDIDATES:
        if candidate.exists():
            return candidate
    try:
        import matplotlib

        bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        if bundled.exists():
            return bundled
    except ImportError:
        pass
    raise FileNotFoundError("no DejaVu font found: apt-get install fonts-dejavu-core")


@dataclass(frozen=True, slots=True)
class SampleDocument:
    """The content of one sample document."""

    number: str = "123"
    notation: str = "QĐ-UBND"
    agency: str = "ỦY BAN NHÂN DÂN TỈNH HÀ GIANG"
    place: str = "Hà Giang"
    issue_date: date = date(2024, 3, 15)
    title: str = "QUYẾT ĐỊNH"
    subject: str = "Về việc áp dụng chữ ký số trong văn bản điện tử"
    body: tuple[str, ...] = (
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
        "Điều 1. Các cơ quan, đơn vị sử dụng chữ ký số trên văn bản điện tử gửi đi.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
    )
    signer_position: str = "CHỦ TỊCH"
    signer_name: str = "Nguyễn Văn An"
    pages: int = 1


def render_pdf(doc: SampleDocument = SampleDocument()) -> bytes:
    """A text PDF of ``doc``: header, number, place and date, subject, body, signer block."""
    pdf = FPDF(format="A4")
    pdf.set_creator("records-archive samples")
    pdf.set_creation_date(_fixed_datetime(doc.issue_date))
    font = vietnamese_font()
    pdf.add_font("viet", "", str(font))
    for page in range(1, doc.pages + 1):
        pdf.add_page()
        pdf.set_font("viet", size=11)
        if page == 1:
            _header(pdf, doc)
        pdf.set_font("viet", size=12)
        for paragraph in doc.body:
            pdf.multi_cell(0, 7, paragraph)
            pdf.ln(2)
        if page > 1:
            pdf.multi_cell(0, 7, f"Trang {page} của văn bản số {doc.number}/{doc.notation}.")
        if page == doc.pages:
            _signer(pdf, doc)
    return bytes(pdf.output())


def _header(pdf: FPDF, doc: SampleDocument) -> None:
    pdf.cell(90, 6, doc.agency[:40], align="C")
    pdf.cell(0, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(90, 6, f"Số: {doc.number}/{doc.notation}", align="C")
    pdf.cell(0, 6, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    when = doc.issue_date
    pdf.cell(90, 6, "")
    pdf.cell(
        0,
        6,
        f"{doc.place}, ngày {when.day:02d} tháng {when.month:02d} năm {when.year}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(6)
    pdf.set_font("viet", size=14)
    pdf.cell(0, 8, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("viet", size=12)
    pdf.multi_cell(0, 7, doc.subject, align="C")
    pdf.ln(4)


def _signer(pdf: FPDF, doc: SampleDocument) -> None:
    pdf.ln(8)
    pdf.cell(100, 6, "")
    pdf.cell(0, 6, doc.signer_position, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.cell(100, 6, "")
    pdf.cell(0, 6, doc.signer_name, align="C", new_x="LMARGIN", new_y="NEXT")


def _fixed_datetime(day: date) -> datetime:
    # A fixed creation date keeps the bytes reproducible for the same content.
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


_WORDS = [
    "văn",
    "bản",
    "điện",
    "tử",
    "chữ",
    "ký",
    "số",
    "công",
    "tác",
    "văn",
    "thư",
    "lưu",
    "trữ",
    "hồ",
    "sơ",
    "quyết",
    "định",
    "nghị",
    "định",
    "thông",
    "tư",
    "hướng",
    "dẫn",
    "triển",
    "khai",
    "ứng",
    "dụng",
    "công",
    "nghệ",
    "thông",
    "tin",
    "cơ",
    "quan",
    "nhà",
    "nước",
    "đất",
    "đai",
    "xây",
    "dựng",
    "giáo",
    "dục",
    "y",
    "tế",
    "giao",
    "thông",
    "tài",
    "chính",
    "ngân",
    "sách",
    "kế",
    "hoạch",
    "báo",
    "cáo",
]


def random_document(rng: random.Random, index: int) -> SampleDocument:
    """A varied sample document, reproducible from ``rng``."""
    body = tuple(
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(12, 30))).capitalize() + "."
        for _ in range(rng.randint(2, 5))
    )
    return SampleDocument(
        number=str(index),
        notation=rng.choice(("QĐ-UBND", "CV-UBND", "TB-SNV", "KH-STTTT", "BC-UBND")),
        issue_date=date(rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)),
        subject=" ".join(rng.choice(_WORDS) for _ in range(8)).capitalize(),
        body=body,
    )
