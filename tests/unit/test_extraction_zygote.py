"""The extraction zygote: reused between documents, restarted when it dies, no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.domain.records import TextStatus
from archive.samples import SampleDocument
from indexing.extraction import ExtractionLimits, extract_document, warm_up
from indexing.extraction.jsonlines import JsonLines, send
from indexing.extraction.sandbox import _worker_env
from indexing.extraction.zygote_client import stop_zygote, zygote_pid
from tests.support import hostile

SMALL = ExtractionLimits(memory_mb=400, cpu_seconds=30, wall_seconds=60, max_pages=20)


@pytest.fixture(autouse=True)
def own_zygote() -> Iterator[None]:
    stop_zygote()  # each test starts from no zygote, and leaves none
    yield
    stop_zygote()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return hostile.write_sample_pdf(tmp_path / "doc.pdf", SampleDocument(pages=2))


def zombie_children() -> list[int]:
    """This process's children that exited and were not reaped."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if fields[0] == "Z" and int(fields[1]) == os.getpid():
                found.append(int(entry.name))
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_consecutive_extractions_reuse_one_zygote(sample: Path) -> None:
    first = extract_document(sample, SMALL)
    zygote = zygote_pid()
    second = extract_document(sample, SMALL)

    assert zygote is not None and zygote_pid() == zygote
    assert first.status is second.status is TextStatus.EXTRACTED
    assert first.pages == second.pages and len(first.pages) == 2
    assert zombie_children() == []


def test_warm_up_starts_the_zygote_the_first_document_then_uses(sample: Path) -> None:
    stop_zygote()
    assert zygote_pid() is None
    warm_up()
    started = zygote_pid()
    assert started is not None
    assert extract_document(sample, SMALL).status is TextStatus.EXTRACTED
    assert zygote_pid() == started


def test_a_killed_zygote_is_replaced_transparently(sample: Path) -> None:
    extract_document(sample, SMALL)
    killed = zygote_pid()
    assert killed is not None
    os.kill(killed, signal.SIGKILL)

    outcome = extract_document(sample, SMALL)

    assert (outcome.status, outcome.error) == (TextStatus.EXTRACTED, None)
    assert zygote_pid() not in (None, killed)
    assert not is_running(killed)
    assert zombie_children() == []


def test_a_stopped_zygote_exits_and_is_reaped(sample: Path) -> None:
    extract_document(sample, SMALL)
    zygote = zygote_pid()
    assert zygote is not None

    stop_zygote()

    assert zygote_pid() is None
    assert not Path(f"/proc/{zygote}").exists()


def test_the_zygote_exits_when_its_parent_dies(sample: Path) -> None:
    # The parent skips its exit hooks (os._exit): only the pipe's EOF tells the zygote.
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from indexing.extraction import extract_document\n"
        "from indexing.extraction.zygote_client import zygote_pid\n"
        "extract_document(Path(sys.argv[1]))\n"
        "print(zygote_pid(), flush=True)\n"
        "os._exit(0)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script, str(sample)], capture_output=True, text=True, check=True, timeout=60
    )
    zygote = int(ran.stdout)

    # The zygote ends as soon as it reads EOF; give it the time to do so.
    for _ in range(200):
        if not is_running(zygote):
            break
        time.sleep(0.05)
    assert not is_running(zygote)


@pytest.mark.parametrize("fresh_interpreter", [False, True], ids=["zygote", "fresh"])
def test_both_paths_give_the_same_outcomes(tmp_path: Path, sample: Path, fresh_interpreter: bool) -> None:
    truncated = hostile.truncated_pdf(tmp_path / "cut.pdf")
    huge = hostile.huge_png(tmp_path / "huge.png", width=30_000, height=30_000)

    text = extract_document(sample, SMALL, fresh_interpreter=fresh_interpreter)
    cut = extract_document(truncated, SMALL, fresh_interpreter=fresh_interpreter)
    bomb = extract_document(huge, SMALL, fresh_interpreter=fresh_interpreter)

    assert (text.status, len(text.pages), list(text.thumbnails)) == (TextStatus.EXTRACTED, 2, [1])
    assert cut.status is TextStatus.FAILED and cut.error and "corrupt PDF" in cut.error
    assert (bomb.status, bomb.limit_hit) == (TextStatus.FAILED, "pixels")
    assert (zygote_pid() is None) is fresh_interpreter


def test_a_crashing_child_leaves_its_traceback_and_exit_status(tmp_path: Path) -> None:
    # Driven by hand: a request file that does not exist makes worker.main raise.
    stderr = tmp_path / "stderr.txt"
    with subprocess.Popen(
        [sys.executable, "-m", "indexing.extraction.zygote"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=_worker_env(),
    ) as zygote:
        assert zygote.stdin is not None and zygote.stdout is not None
        replies = JsonLines(zygote.stdout.fileno())
        request = {"request": str(tmp_path / "missing.json"), "workdir": str(tmp_path), "stderr": str(stderr)}
        send(zygote.stdin.fileno(), request)
        child = replies.read()
        assert child is not None
        assert replies.read() == {"exited": child["pid"]}
        send(zygote.stdin.fileno(), {"reap": child["pid"]})
        ended = replies.read()
        zygote.stdin.close()

        assert ended is not None and os.waitstatus_to_exitcode(ended["status"]) == 1
        assert "FileNotFoundError" in stderr.read_text()
        assert zygote.wait(timeout=30) == 0
        assert replies.read() is None


def test_the_warm_up_document_is_a_text_pdf_read_like_any_other(tmp_path: Path) -> None:
    # The zygote extracts it before forking anyone: it must take the whole text path
    # (text layer, thumbnail) or the children would still pay for that path's first use.
    import io
    import json

    from indexing.extraction import worker
    from indexing.extraction.zygote import _warm_pdf

    path = tmp_path / "warm.pdf"
    path.write_bytes(_warm_pdf())
    sink = io.StringIO()
    # The zygote reads it in a fresh process; this one is the test run, whose CPU time
    # (counted by the extraction's budget) grows past the default 300 s in a full suite.
    worker.run(path, ExtractionLimits(ocr=False, cpu_seconds=10**9), sink)
    events = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert {"page_count": 1} in events, events
    pages = [e for e in events if "page" in e]
    assert len(pages) == 1, events
    [page] = pages
    assert page["text"] == "Van ban dien tu 123/QD-UBND" and page["source"] == "text_layer"
    assert any("thumbnail" in e and e["png"] for e in events)
    assert not any("failed" in e for e in events)
