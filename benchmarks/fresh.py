"""Measurements in a fresh interpreter each run: ``import qa``, the first answer, library imports, a cold build."""

from __future__ import annotations

import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import HEAVY, MUST_NOT_IMPORT, run_child


@dataclass
class ImportResult:
    seconds: list[float]  # `import qa` inside the interpreter
    wall: list[float]  # interpreter start to `import qa` done
    modules: list[str]  # heavy libraries loaded by `import qa`

    @property
    def clean(self) -> bool:
        return not set(self.modules) & set(MUST_NOT_IMPORT)


IMPORT_CHILD = """
import json, sys, time
t = time.perf_counter()
import qa
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "done": time.time(), "modules": [m for m in HEAVY if m in sys.modules]}))
"""


def measure_import(runs: int) -> ImportResult:
    code = f"HEAVY = {HEAVY!r}\n" + IMPORT_CHILD
    results = [run_child(code) for _ in range(runs)]
    return ImportResult([o["seconds"] for o, _ in results], [w for _, w in results], results[0][0]["modules"])


@dataclass
class FirstAnswer:
    wall: list[float]  # interpreter start to first answer
    stages: list[dict]  # per run: import, index_check (index + embedder load), encode, retrieve, read (+ reader load)
    peak_rss_mb: list[float]
    modules: list[str]  # heavy libraries loaded by the time of the answer
    answer: str | None


FIRST_ANSWER_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from qa import QA
t1 = time.perf_counter()
answer = QA(docs_dir=DOCS, index_dir=INDEX).ask(QUESTION)
stages = {"import": t1 - t0, **answer.timings}
print(json.dumps({"stages": stages, "answer": answer.answer, "done": time.time(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "modules": [m for m in HEAVY if m in sys.modules]}))
"""


def measure_first_answer(docs: Path, index_dir: Path, question: str, runs: int) -> FirstAnswer:
    """Import, load (index and models) and answer one question in a fresh process; index prebuilt."""
    code = f"HEAVY = {HEAVY!r}\nDOCS = {str(docs)!r}\nINDEX = {str(index_dir)!r}\nQUESTION = {question!r}\n"
    results = [run_child(code + FIRST_ANSWER_CHILD) for _ in range(runs)]
    out = [o for o, _ in results]
    return FirstAnswer([w for _, w in results], [o["stages"] for o in out], [o["peak_rss_mb"] for o in out],
                       out[0]["modules"], out[0]["answer"])


LIBRARIES = ("numpy", "faiss", "bm25s", "onnxruntime", "torch", "spacy", "transformers", "sentence_transformers")

LIBRARIES_CHILD = """
import importlib, json, time
seconds = {}
for name in LIBRARIES:  # in this order, so each figure is what that library adds
    t = time.perf_counter()
    importlib.import_module(name)
    seconds[name] = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "done": time.time()}))
"""


def measure_library_imports(runs: int) -> dict[str, float]:
    """Median seconds each library adds to a fresh process (what the first answer pays for)."""
    out = [run_child(f"LIBRARIES = {LIBRARIES!r}\n" + LIBRARIES_CHILD)[0]["seconds"] for _ in range(runs)]
    return {name: statistics.median(o[name] for o in out) for name in LIBRARIES}


COLD_BUILD_CHILD = """
import json, time
from qa import QA
from benchmarks.harness import HEAVY, MUST_NOT_IMPORT, run_child
index, report = QA(docs_dir=DOCS, index_dir=INDEX).index(force=True)
print(json.dumps({"build": report.seconds, "passages": report.passages, "done": time.time()}))
"""


@dataclass
class BuildResult:
    label: str
    passages: int
    seconds: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def measure_cold_build(docs: Path, workdir: Path, runs: int) -> BuildResult:
    """Import, load the models and build the index, in a fresh process each run."""
    walls, passages = [], 0
    for run in range(runs):
        index_dir = workdir / f"cold-index-{run}"
        code = f"DOCS = {str(docs)!r}\nINDEX = {str(index_dir)!r}\n" + COLD_BUILD_CHILD
        out, wall = run_child(code)
        walls.append(wall)
        passages = out["passages"]
        shutil.rmtree(index_dir, ignore_errors=True)
    return BuildResult("cold", passages, walls, "fresh process: import + models + build")
