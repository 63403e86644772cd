"""The extraction zygote: ``python -m indexing.extraction.zygote``.

A pre-started interpreter that has already imported the extraction modules and
loaded tesseract's languages (``ocr.warm``), and forks one child per document, so
a document does not pay for a fresh interpreter and its imports (~0.2-0.4 s) nor
for loading ``vie+eng`` (~1 s). Each child behaves as ``indexing.extraction.worker``
would: its own session (the deadline kill also takes its tesseract), stdin and
stdout on /dev/null, stderr to the request's file, limits applied, then
``worker.main``.

The protocol is JSON lines, one request at a time (``sandbox`` holds a lock):

    parent → zygote   {"request": REQUEST.json, "workdir": DIR, "stderr": FILE}
    zygote → parent   {"pid": PID}                      as soon as the child runs in its own session
    zygote → parent   {"exited": PID}                   the child exited; it stays a zombie
    parent → zygote   {"reap": PID}                     after the parent killed the child's group
    zygote → parent   {"status": WAITSTATUS, "cpu": S}  from wait4: CPU time of the child and
                                                        the processes it waited for (tesseract)

The exited child stays unreaped until the parent has killed its process group,
so its pid (the group id) cannot be reused by a stranger in between. The zygote
exits on EOF of its stdin or when its parent dies, killing and reaping a child
still running; it holds no threads, so forking it is safe.
"""

from __future__ import annotations

import gc
import io
import os
import select
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from indexing.extraction import ocr, worker
from indexing.extraction.jsonlines import JsonLines, send
from indexing.extraction.limits import ExtractionLimits
from indexing.extraction.zygote_client import kill_group

# How often an idle zygote checks that its parent still lives: a process forked from
# the parent may hold the pipe open after the parent died, so EOF alone is not enough.
_PARENT_CHECK_SECONDS = 2.0


class ParentGone(Exception):
    """The parent closed the pipe or died: the zygote ends."""


def main() -> int:
    """Serve fork requests until the parent goes away."""
    if not _single_threaded():
        return 1
    _warm_ocr()
    _warm_extraction()
    # libtesseract or a prefetch thread must not be left running. A thread that was joined
    # can still be listed for a moment while the kernel tears it down: wait for that.
    if not _single_threaded(settle_seconds=2.0):
        return 1
    parent = os.getppid()
    requests = JsonLines(sys.stdin.fileno())
    gc.freeze()  # the imported modules' objects: the children's collections will not touch their pages
    try:
        while True:
            request = _next_message(requests, parent)
            _serve(request, requests)
    except (ParentGone, BrokenPipeError):
        return 0


def _single_threaded(settle_seconds: float = 0.0) -> bool:
    deadline = time.monotonic() + settle_seconds
    threads = len(os.listdir("/proc/self/task"))
    while threads != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
        threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        # fork() copies only the calling thread: a lock held by another one would hang the child.
        _send({"error": f"the zygote has {threads} threads, it must have one"})
    return threads == 1


def _warm_ocr() -> None:
    """Load tesseract's default languages once, here, so every child forked after starts
    with them loaded (about a second each otherwise). This runs while the worker that
    started the zygote is already claiming its first jobs. A failure is left for the
    child that needs OCR to meet and report."""
    try:
        ocr.warm(ocr.DEFAULT_LANG)
    except ocr.OcrFailed:
        traceback.print_exc()


def _warm_extraction() -> None:
    """Extract a tiny text PDF of our own once, here, so every child starts with what the
    first document of a process pays for: PDFium's font mapping and page machinery, and
    Pillow's PNG encoder (imported on first save). Measured on the textlayer suite's
    2-page documents with the machine quiet, a forked child's work fell from ~18-20 ms
    to ~14.5-15.5 ms; the whole sandbox call (fork, child, reap) by ~2-4 ms of ~25.
    Nothing from outside is opened here, and no limit is loosened: the child still
    applies every limit to itself before it touches the document."""
    with tempfile.TemporaryDirectory(prefix="zygote-warm-") as scratch:
        path = Path(scratch) / "warm.pdf"
        path.write_bytes(_warm_pdf())
        try:
            worker.run(path, ExtractionLimits(ocr=False), io.StringIO())
        except Exception:  # a warm-up only: a child meets and reports any real failure
            traceback.print_exc()


def _warm_pdf() -> bytes:
    """One A4 page of Helvetica text, written by hand (no PDF library to import for it)."""
    text = b"BT /F1 12 Tf 72 770 Td (Van ban dien tu 123/QD-UBND) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _serve(request: dict[str, Any], requests: JsonLines) -> None:
    pid = _fork_child(str(request["request"]), str(request["workdir"]), str(request["stderr"]))
    try:
        _send({"pid": pid})
        _wait_for_exit(pid, requests)
        _send({"exited": pid})
        while _next_message(requests, None).get("reap") != pid:
            pass
    finally:
        kill_group(pid)
        _, status, usage = os.wait4(pid, 0)
    _send({"status": status, "cpu": round(usage.ru_utime + usage.ru_stime, 2)})


def _fork_child(request: str, workdir: str, stderr: str) -> int:
    # The child closes this pipe once it leads its own session: before that, a
    # deadline kill of its group would miss it.
    ready, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready)
        os._exit(_child(request, workdir, stderr, ready_w))
    os.close(ready_w)
    os.read(ready, 1)
    os.close(ready)
    return pid


def _child(request: str, workdir: str, stderr: str, ready: int) -> int:
    """Become a worker: own session, no link to the zygote's pipes, then the extraction."""
    try:
        os.setsid()
        os.close(ready)
        os.chdir(workdir)
        _redirect(stderr)
        return worker.main(["worker", request])
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # as a fresh interpreter would: print it, exit 1
        traceback.print_exc()
        return 1
    finally:
        sys.stderr.flush()


def _redirect(stderr: str) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    err = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(err, 2)
    # Whatever else the zygote held open (the ready pipe, stray descriptors): a
    # hostile file's process must not write into the protocol or anything else.
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))


def _wait_for_exit(pid: int, requests: JsonLines) -> None:
    """Block until the child exits (left a zombie), or the parent goes away."""
    child = os.pidfd_open(pid)
    try:
        while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            readable, _, _ = select.select([child, requests.fd], [], [])
            if requests.fd in readable and requests.read() is None:
                raise ParentGone
    finally:
        os.close(child)


def _next_message(requests: JsonLines, parent: int | None) -> dict[str, Any]:
    while not requests.ready(_PARENT_CHECK_SECONDS):
        if parent is not None and os.getppid() != parent:
            raise ParentGone
    message = requests.read()
    if message is None:
        raise ParentGone
    return message


def _send(message: dict[str, Any]) -> None:
    send(sys.stdout.fileno(), message)


if __name__ == "__main__":
    sys.exit(main())
