"""Start-up goes on while the database is not there yet: the OCR backlog port reports the
outage as ServiceUnavailable (its callers hold no driver to catch), without the password,
and ``requeue_at_start`` logs it instead of raising."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive.db.engine import create_db_engine
from archive.db.ocr_backlog import SqlOcrBacklog
from archive.domain.errors import ServiceUnavailable
from archive.factory import open_ocr_backlog
from archive.services.ocr_backlog import requeue_at_start
from tests.conftest import PG_ENV, embedded_settings, require_env


def unreachable_url() -> sa.engine.URL:
    require_env(PG_ENV)
    return sa.engine.make_url(os.environ[PG_ENV]).set(host="127.0.0.1", port=1)  # nothing listens there


def test_an_unreachable_database_is_a_service_unavailable_without_its_password() -> None:
    url = unreachable_url()
    engine = create_db_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(ServiceUnavailable) as caught:
            SqlOcrBacklog(engine).requeue(now=datetime.now(UTC), max_attempts=3)
    finally:
        engine.dispose()
    # The engine itself reports the lost server (DatabaseUnavailable, a ServiceUnavailable).
    assert caught.value.message == "the database is not reachable; try again shortly"
    assert url.password and url.password not in caught.value.message


@pytest.mark.tesseract  # OCR must be available, or the backlog is never asked
def test_start_up_logs_an_unreachable_database_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = unreachable_url().render_as_string(hide_password=False)
    settings = embedded_settings(tmp_path / "data", database_url=url, ocr_enabled=True)
    caplog.set_level(logging.WARNING, logger="archive.services.ocr_backlog")

    with open_ocr_backlog(settings) as backlog:
        assert requeue_at_start(backlog, settings) == []

    [warning] = [r.getMessage() for r in caplog.records if r.name == "archive.services.ocr_backlog"]
    said = "records left PENDING_OCR not requeued at start-up: the database is not reachable"
    assert warning.startswith(said)
