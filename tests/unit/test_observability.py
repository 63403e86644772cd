"""The pieces of archive.observability that need no service: masking, the operation
label cap, the log formatters and the request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from starlette.datastructures import Headers

from archive.observability.logs import REQUEST_ID, configure_logging
from archive.observability.metrics import MAX_OPERATION_NAMES, Metrics
from archive.observability.redaction import MASK, Redactor, redactor_for
from archive.observability.requests import request_id_of
from archive.settings import Settings

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
API_KEY = "ark_0123456789abcdef_" + "s" * 43


def test_known_secrets_and_credential_shapes_are_masked() -> None:
    redact = Redactor(["hunter2-password", "abc"])  # "abc" is too short to mask safely
    text = f"pw=hunter2-password key={API_KEY} jwt={JWT} auth=Bearer xyz.123 ApiKey foo abc"
    assert redact(text) == f"pw={MASK} key={MASK} jwt={MASK} auth={MASK} {MASK} abc"


def test_settings_secrets_include_the_database_password(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        database_url="postgresql+psycopg://archive:s3cr3t-pw@db:5432/archive",
        s3_secret_key=SecretStr("s3-secret-value"),
        metrics_token=SecretStr("metrics-token-value"),
    )
    masked = redactor_for(settings)("s3cr3t-pw s3-secret-value metrics-token-value dev-only-not-secret")
    assert masked == " ".join([MASK] * 4)


def test_operation_names_are_capped_and_sanitised() -> None:
    metrics = Metrics()
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("bad name; drop") == "other"
    names = [f"Op{i}" for i in range(MAX_OPERATION_NAMES)]
    assert [metrics.operation_label(n) for n in names] == names
    assert metrics.operation_label("OneTooMany") == "other"
    assert metrics.operation_label("Op0") == "Op0"


def test_refusal_codes_that_are_not_ours_count_as_other() -> None:
    metrics = Metrics()
    for code in ("FORBIDDEN", "lower-case", None, "X" * 60):
        metrics.refused(code)
    samples = metrics.graphql_refusals.collect()[0].samples
    counted = {s.labels["code"]: s.value for s in samples if s.name.endswith("_total")}
    assert counted == {"FORBIDDEN": 1.0, "other": 3.0}


@pytest.mark.parametrize(
    ("offered", "kept"),
    [("req-from-the-proxy-42", True), ("short", False), ("bad id with spaces", False), ("x" * 129, False)],
)
def test_a_sane_incoming_request_id_is_kept(offered: str, kept: bool) -> None:
    chosen = request_id_of(Headers({"x-request-id": offered}))
    assert (chosen == offered) is kept
    assert len(chosen) >= 8


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = False


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_the_request_id_and_extras_and_mask_secrets(tmp_path: Path) -> None:
    stream = io.StringIO()
    settings = Settings(_env_file=None, data_dir=tmp_path, log_format="json")  # type: ignore[call-arg]
    configure_logging(settings, stream=stream)
    configure_logging(settings, stream=stream)  # idempotent: still one handler, one line per record
    token = REQUEST_ID.set("rid-12345678")
    try:
        logging.getLogger("archive.test").info('said "%s"', API_KEY, extra={"operation": "Deposit"})
    finally:
        REQUEST_ID.reset(token)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["message"] == f'said "{MASK}"'
    assert entry["request_id"] == "rid-12345678"
    assert (entry["operation"], entry["logger"]) == ("Deposit", "archive.test")


@pytest.mark.usefixtures("restore_logging")
def test_text_is_the_development_default(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging(Settings(_env_file=None, data_dir=tmp_path), stream=stream)  # type: ignore[call-arg]
    logging.getLogger("archive.test").warning("plain", extra={"status": 503})
    assert stream.getvalue().rstrip().endswith("WARNING archive.test plain status=503")
