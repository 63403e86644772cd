"""``python -m bench [suite ...] [--quick] [--out bench/results]``, or ``python -m bench report``.

Runs the suites (all by default), writes ``<out>/<suite>.json``, redraws
``<out>/summary.png`` and ``bench/README.md`` from every result in ``<out>``, and
prints a summary. A suite that cannot run here (no Elasticsearch) is skipped
with its reason; a suite that crashes, or a gated suite (``GATE = True``, the
relevance floors) with a figure below its target, makes the exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import report
from bench.harness import Context, Result, environment, load_before, write_result

SUITES = (
    "ocr",
    "textlayer",
    "scaling",
    "search",
    "graphql",
    "memory",
    "text_extractors",
    "ocr_threads",
    "relevance",
    "load",
    "packaging",
    "maintenance",
)
DEFAULT_OUT = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.suites == ["report"]:
        report.rewrite(args.out)
        return 0
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    crashed = [name for name in args.suites or SUITES if not _run_suite(name, args.quick, args.out)]
    report.rewrite(args.out)
    print(report.summary_text(args.out))
    return 1 if crashed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="*", help=f"'report', or any of: {', '.join(SUITES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes: every suite in a few minutes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    return parser


def _run_suite(name: str, quick: bool, out: Path) -> bool:
    """Run one suite and write its JSON; False when it crashed."""
    print(f"== {name}{' (quick)' if quick else ''}", file=sys.stderr, flush=True)
    module = importlib.import_module(f"bench.{name}")
    before = load_before()
    started = time.perf_counter()
    ok = True
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as scratch:
        try:
            result = module.run(Context(quick=quick, workdir=Path(scratch), out=out))
        except Exception:
            traceback.print_exc()
            result, ok = Result(name, skipped="crashed: " + traceback.format_exc(limit=1).strip()), False
    if getattr(module, "GATE", False) and any(r["met"] is False for r in result.ratios):
        print(f"   {name}: a figure is below its floor (see the notes)", file=sys.stderr, flush=True)
        ok = False
    seconds = time.perf_counter() - started
    env = environment(result.figures.pop("_elasticsearch_server", None))
    path = write_result(out, result, quick=quick, seconds=seconds, env=env, before=before)
    print(f"   {seconds:.0f} s → {path}", file=sys.stderr, flush=True)
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
