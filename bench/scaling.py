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
    count, pages = ctx.size((4, 20), (24, 120))
    corpus = write_corpus(ctx.workdir / "docs", count=count, pages=pages, kind="text")
    template = embedded_settings(ctx.workdir / "template")
    deposit_corpus(template, corpus)
    per_second: dict[int, list[float]] = {1: [], 2: []}
    jobs_at_2 = []
    for index in range(ctx.size(3, 5)):  # 1 then 2 processes, side by side, each repeat
        for n in (1, 2):
            run = drain_with_processes(copy_data_dir(template, ctx.workdir / f"run{index}-{n}"), n)
            per_second[n].append(count / run.seconds)
            if n == 2:
                jobs_at_2.append([w["jobs"] for w in run.workers])
    result.figures = {
        "documents": count,
        "pages_per_document": pages,
        "database": "SQLite",
        "documents_per_second": {str(n): [round(v, 2) for v in vs] for n, vs in per_second.items()},
        "jobs_per_process_at_2": jobs_at_2,
    }
    if result.ratio("worker docs/s, 2 processes ÷ 1", per_second[2], per_second[1], 1.8, "higher") < 1.8:
        result.notes.append(
            "Two processes on two cores shared with other work (see load_average) cannot double; "
            "SQLite also serialises the writers (claims, page rows, FTS) behind one lock. Re-run on an "
            "idle machine, or on PostgreSQL + Elasticsearch, before reading this as the app's limit."
        )
    return result
