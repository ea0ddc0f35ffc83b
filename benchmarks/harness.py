"""Helpers every benchmark uses: timing, memory, fresh processes, and the traced ``QA`` under test."""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from qa.config import Settings

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_DIR = ROOT / "source_docs"
QUESTIONS = ROOT / "tests" / "data" / "questions.jsonl"

HEAVY = ("torch", "transformers", "gradio", "sentence_transformers", "spacy", "onnxruntime", "faiss")
MUST_NOT_IMPORT = ("torch", "transformers", "gradio")
STAGES = ("resolve", "index_check", "encode", "retrieve", "read")

def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)




def ms(seconds: float) -> float:
    return 1000.0 * seconds


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def rss_mb() -> float:
    """Resident memory of this process now."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """Largest resident memory this process has had (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def run_child(code: str, timeout: float = 1800) -> tuple[dict, float]:
    """Run ``python -c code`` in a fresh interpreter.

    Returns the JSON object it prints last and the seconds from starting the interpreter to the
    ``done`` time (``time.time()``) it reports, so interpreter exit is not counted.
    """
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    last = [line for line in proc.stdout.splitlines() if line.startswith("{")][-1]
    out = json.loads(last)
    return out, out["done"] - start


def run_isolated(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` in a fresh (spawned) process, for clean memory figures."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def parse_sizes(text: str) -> list[int]:
    """ "1k,10k,100000" -> [1000, 10000, 100000]."""
    sizes = []
    for part in text.replace(" ", "").split(","):
        if part:
            sizes.append(int(float(part[:-1]) * 1000) if part.lower().endswith("k") else int(part))
    return sizes


def load_questions(path: Path = QUESTIONS, limit: int | None = None) -> list[str]:
    from qa.evaluate import load_items

    _, items = load_items(path)
    return [it.question for it in items][:limit]




class ReadTrace:
    """Wraps the reader; while ``recording``, notes the passages ``QA.ask`` has it read (for the floor)."""

    def __init__(self, reader) -> None:
        self.reader = reader
        self.recording = False
        self.calls: list[list[str]] = []

    def read(self, question, hits):
        if self.recording:
            self.calls.append([h.passage.text for h in hits])
        return self.reader.read(question, hits)

    def __getattr__(self, name):
        return getattr(self.reader, name)


def make_qa(docs: Path, index_dir: Path, settings: Settings | None = None, trace: ReadTrace | None = None):
    """A ``QA`` whose reader is traced, and the trace (models are shared by the whole process)."""
    from qa.pipeline import QA

    settings = settings or Settings()
    trace = trace or ReadTrace(QA(docs_dir=docs, index_dir=index_dir, settings=settings).reader)
    return QA(docs_dir=docs, index_dir=index_dir, settings=settings, reader=trace), trace


def load_models(qa) -> float:
    """Load and exercise the embedder, reader and answer-type model; seconds it took."""
    t0 = time.perf_counter()
    qa.embedder.encode(["warm up"])
    qa.reader.logits(["warm up?"], ["Warm up the reader."])
    _ = qa.answer_types
    return time.perf_counter() - t0


def ask_traced(qa, trace: ReadTrace, question: str):
    """(answer, the passages the reader read for it); ``trace.calls`` keeps the reader calls."""
    trace.calls, trace.recording = [], True
    try:
        answer = qa.ask(question)
    finally:
        trace.recording = False
    return answer, [text for call in trace.calls for text in call]


def time_floor(embedder, reader, question: str, passages: list[str]) -> tuple[float, float]:
    """Seconds for the question's embedding, and for one reader pass over ``passages``."""
    t0 = time.perf_counter()
    embedder.encode([question])
    t1 = time.perf_counter()
    if passages:
        reader.logits([question] * len(passages), passages)
    return t1 - t0, time.perf_counter() - t1
