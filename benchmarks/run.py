"""Benchmark articleqa: latency, its floor, first answer, index builds, memory and scale.

Usage::

    python -m benchmarks                        # everything (also: python benchmarks/run.py); synthetic corpora of 1k, 10k, 100k passages
    python -m benchmarks --quick                # CI-sized: 1k synthetic passages, fewer rounds and runs
    python -m benchmarks --sizes 1k,10k         # choose the synthetic sizes (--sizes "" for none)
    python -m benchmarks --scale-only --sizes 100k --backends postgresql   # one backend's scale rows only
    python -m benchmarks --rounds 5 --runs 3 --out BENCHMARKS.md

It prints one table (PASS/FAIL against the targets) and writes it to ``BENCHMARKS.md`` with the
date, the machine, the command and where the time goes. What is measured:

* ``import qa`` and the first answer in a fresh process (``python -c``), median of ``--runs``;
  also which heavy libraries ``import qa`` loads (it must load none of torch/transformers/gradio);
* building the article's index (``source_docs/``) into a temporary folder, with the models
  already loaded (warm) and from a fresh process (cold);
* warm latency of ``QA.ask`` over ``tests/data/questions.jsonl`` (one warm-up round discarded,
  then ``--rounds``), p50/p95 and the time of each stage from ``Answer.timings``;
* the floor: the question's embedding plus one reader pass over exactly the passages ``ask``
  read for that question, timed alone, interleaved with the ``ask`` calls; p50 / floor is
  computed per round (same conditions) and the median of the rounds is reported;
* memory: RSS (``/proc/self/statm``) and peak RSS (``getrusage``), no extra dependency;
* scale: synthetic corpora (deterministic from ``--seed``) of invented people with random facts,
  one passage each, and questions with known answers, on each backend (``--backends``: the local
  files, and PostgreSQL + pgvector from pgserver). Each size builds in a fresh process: build
  throughput beside the embedder's own passages/s, then one changed file indexed again; then a
  fresh process loads and queries it: disk, RSS, query p50/p95, recall@10 of the dense search in
  use against exact search over the same vectors, and whether retrieval finds the right passage.

A 100k build embeds for about an hour per backend on 2 cores (the embedder's ~30 passages/s);
the report is rewritten after each size and backend, so a run stopped there keeps the smaller
sizes. Timings on a busy machine mean little: the report says how much CPU other processes took
during the run, and warns above 10%.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/run.py`: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.article import (  # noqa: E402
    measure_memory,
    measure_status,
    measure_warm_build,
    measure_warm_latency,
)
from benchmarks.fresh import (  # noqa: E402
    measure_cold_build,
    measure_first_answer,
    measure_import,
    measure_library_imports,
)
from benchmarks.harness import (  # noqa: E402
    ARTICLE_DIR,
    QUESTIONS,
    ROOT,
    load_models,
    load_questions,
    log,
    make_qa,
    parse_sizes,
)
from benchmarks.report import BackgroundWatch, Results, report, rows, table  # noqa: E402
from benchmarks.backends import Backend, BenchDatabase  # noqa: E402
from benchmarks.scale import measure_scale  # noqa: E402

FULL = {"sizes": "1k,10k,100k", "rounds": 5, "runs": 3, "scale_questions": 100}
QUICK = {"sizes": "1k", "rounds": 2, "runs": 1, "scale_questions": 20}



def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CI-sized run: 1k synthetic passages, fewer rounds/runs")
    p.add_argument("--sizes", help=f"synthetic corpus sizes, e.g. 1k,10k,100k (default {FULL['sizes']}; "
                                   f"quick {QUICK['sizes']}; '' for none)")
    p.add_argument("--rounds", type=int, help=f"timed rounds over the questions (default {FULL['rounds']})")
    p.add_argument("--runs", type=int, help=f"fresh-process runs per measurement (default {FULL['runs']})")
    p.add_argument("--scale-questions", type=int, help="synthetic questions per size "
                                                       f"(default {FULL['scale_questions']})")
    p.add_argument("--questions", type=Path, default=QUESTIONS, help="question set for the article (JSON Lines)")
    p.add_argument("--limit", type=int, help="ask only the first N questions of the set")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpora")
    p.add_argument("--backends", default="local,postgresql",
                   help="index backends of the scale runs (default local,postgresql: a PostgreSQL from pgserver)")
    p.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="report file (default BENCHMARKS.md)")
    p.add_argument("--workdir", type=Path, help="where to put corpora and indexes (default: a temporary folder)")
    p.add_argument("--reuse-local-vectors", action="store_true",
                   help="PostgreSQL scale builds take their vectors from the local index of the same size in "
                        "--workdir (built by an earlier run): times splitting and storing, not embedding")
    p.add_argument("--scale-only", action="store_true",
                   help="only the synthetic corpora (no import, article or fresh-process figures)")
    args = p.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def run_article(results: Results, args, workdir: Path) -> None:
    """Everything measured on the article: builds, warm latency and floor, memory, fresh processes."""
    questions = load_questions(args.questions, args.limit)
    index_dir = workdir / "article-index"
    qa, trace = make_qa(ARTICLE_DIR, index_dir)
    log("loading models")
    results.model_load_s = load_models(qa)
    log("article index build (warm)")
    results.warm_build = measure_warm_build(qa, max(args.runs, 3))
    log(f"warm latency: {len(questions)} questions")
    results.latency = measure_warm_latency(qa, trace, questions, args.rounds)
    results.status_s = measure_status(qa)
    results.memory = measure_memory()
    log("first answer in a fresh process")
    results.first = measure_first_answer(ARTICLE_DIR, index_dir, questions[0], args.runs)
    results.libraries = measure_library_imports(args.runs)
    log("article index build (cold)")
    results.cold_build = measure_cold_build(ARTICLE_DIR, workdir, args.runs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = " ".join(["python -m benchmarks", *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    watch = BackgroundWatch()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = Results()
    try:
        if not args.scale_only:
            log("import qa (fresh processes)")
            results.imports = measure_import(max(args.runs, 3))
            run_article(results, args, workdir)
        backends = [b for b in args.backends.split(",") if b]
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(BenchDatabase()) if "postgresql" in backends and parse_sizes(args.sizes) else None
            for size in parse_sizes(args.sizes):
                for name in backends:
                    log(f"scale {size} ({name}): build, then load and query, each in a fresh process")
                    reuse = args.reuse_local_vectors and name == "postgresql"
                    results.scale.append(measure_scale(size, workdir, args.scale_questions, args.rounds, args.seed,
                                                       backend=Backend(name, url), reuse_local=reuse))
                    # the report so far, so that a long run stopped at 100k keeps its smaller sizes
                    args.out.write_text(report(results, command, watch.stop()), encoding="utf-8")
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(results, command, watch.stop())
    args.out.write_text(text, encoding="utf-8")
    print(table(rows(results)))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
