"""``python -m tests.support.deposit_once FILE``: one deposit in a process of its own.

The crash-loop test runs it with ``ARCHIVE_CRASH_AFTER_STEP=upload`` or ``commit`` so
the deposit request's process dies halfway, like a web worker killed mid-request.
Settings come from the ARCHIVE_* environment. Exit codes: 0 deposited (the record id
on stdout), 3 duplicate, 70 crashed on purpose.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from archive.app import DEV_ADMIN
from archive.domain.errors import DuplicateRecord
from archive.domain.records import Direction, RecordMetadata
from archive.factory import build_services
from archive.services.deposit import deposit
from archive.settings import Settings

DUPLICATE_EXIT = 3

METADATA = RecordMetadata(
    document_type="Quyết định",
    number="42",
    notation="QĐ-UBND",
    issuing_agency_code="UBND-HG",
    issuing_agency_name="Ủy ban nhân dân tỉnh Hà Giang",
    issue_date=date(2024, 3, 15),
    subject="Về việc áp dụng chữ ký số trong văn bản điện tử",
    signer_name="Nguyễn Văn An",
    signer_position="Chủ tịch",
    direction=Direction.OUTGOING,
)


def main(path: Path) -> int:
    services = build_services(Settings(_env_file=None), migrate=False)  # type: ignore[call-arg]
    try:
        with path.open("rb") as source:
            record = deposit(services, DEV_ADMIN, source, filename=path.name, metadata=METADATA)
    except DuplicateRecord as exc:
        print(exc.existing_id)
        return DUPLICATE_EXIT
    finally:
        services.dispose()
    print(record.id)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
