"""Worker throughput with 2 processes against 1, on the same pending queue.

Text PDFs long enough that each job is CPU work (the sandbox, PDFium, thumbnails,
index writes) rather than waiting on the database. Target ≥ 1.8 on 2 cores.
"""

from __future__ import annotations

from bench.corpus import write_corpus
from bench.harness import Context, Result
from bench.stack import copy_data_dir, deposit_corpus, drain_with_processes, embedded_settings

NAME = "scaling"


def run(ctx: Context) -> Result:
    result = Result(NAME)
    count, pages = ctx.size((8, 40), (24, 120))
    corpus = write_corpus(ctx.workdir / "docs", count=count, pages=pages, kind="text")
    template = embedded_settings(ctx.workdir / "template")
    deposit_corpus(template, corpus)
    runs = {n: drain_with_processes(copy_data_dir(template, ctx.workdir / f"run{n}"), n) for n in (1, 2)}
    per_second = {n: count / run.seconds for n, run in runs.items()}
    result.figures = {
        "documents": count,
        "pages_per_document": pages,
        "seconds": {str(n): round(run.seconds, 2) for n, run in runs.items()},
        "documents_per_second": {str(n): round(v, 2) for n, v in per_second.items()},
        "jobs_per_process_at_2": [w["jobs"] for w in runs[2].workers],
    }
    if result.ratio("worker docs/s, 2 processes ÷ 1", per_second[2], per_second[1], 1.8, "higher") < 1.8:
        result.notes.append(
            "Two processes on two cores shared with other work (see load_average) cannot double; "
            "SQLite also serialises the writers (claims, page rows, FTS) behind one lock. Re-run on an "
            "idle machine, or on PostgreSQL + Elasticsearch, before reading this as the app's limit."
        )
    return result
