"""Scale runs: build a synthetic corpus's index in one fresh process, load and query it in another."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.article import measure_status
from benchmarks.harness import (
    STAGES,
    folder_bytes,
    load_models,
    log,
    make_qa,
    peak_rss_mb,
    percentile,
    rss_mb,
    run_isolated,
)
from benchmarks.synthetic import synthetic_corpus, write_corpus
from qa.config import Settings


@dataclass
class ScaleBuild:
    """Building the index of a synthetic corpus, models already loaded."""

    passages: int
    documents: int
    seconds: float
    index_bytes: int
    peak_mb: float  # largest RSS of the building process
    stages: dict[str, float] = field(default_factory=dict)  # BuildReport.stages

    @property
    def stage_text(self) -> str:
        return ", ".join(f"{name} {100 * sec / self.seconds:.0f}%" for name, sec in self.stages.items())


@dataclass
class ScaleQuery:
    """A fresh process loading that index and answering the synthetic questions."""

    load_s: float  # loading the index (checksums included)
    models_mb: float  # RSS with the models loaded, before the index
    rss_mb: float  # RSS with models and index
    totals: list[float]  # ask() seconds, warm-up round excluded
    stages: dict[str, list[float]]
    dense_s: list[float]  # HybridRetriever.dense alone
    sparse_s: list[float]  # HybridRetriever.sparse (BM25) alone
    status_s: float  # the freshness check ask() runs at most once a second
    recall_at_10: float
    index_kind: str
    hit_at_k: float  # share of questions whose person's passage is among the top_k hits
    exact: float  # share answered exactly right
    candidate_exact: float  # share whose best span is exactly right, abstaining or not
    questions: int


@dataclass
class ScaleResult:
    size: int
    build: ScaleBuild
    query: ScaleQuery

    @property
    def label(self) -> str:
        return f"{self.size // 1000}k" if self.size % 1000 == 0 else str(self.size)

    @property
    def throughput(self) -> float:
        return self.build.passages / self.build.seconds

    @property
    def p50(self) -> float:
        return percentile(self.query.totals, 50)

    @property
    def p95(self) -> float:
        return percentile(self.query.totals, 95)

    @property
    def kb_per_passage(self) -> float:
        return (self.query.rss_mb - self.query.models_mb) * 1024 / self.build.passages

    @property
    def disk_kb_per_passage(self) -> float:
        return self.build.index_bytes / 1024 / self.build.passages


def recall_at_k(dense, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top ``k`` (IndexFlatIP over the same vectors) the index in use returns."""
    import faiss

    vectors = dense.reconstruct_n(0, dense.ntotal)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    k = min(k, dense.ntotal)
    _, truth = exact.search(queries, k)
    _, found = dense.search(queries, k)
    return float(np.mean([len(set(t) & set(f)) / k for t, f in zip(truth, found)]))


def index_kind(dense) -> str:
    if hasattr(dense, "hnsw"):
        return f"{type(dense).__name__} (efSearch {dense.hnsw.efSearch})"
    return type(dense).__name__


def _scale_folders(size: int, workdir: str | Path) -> tuple[Path, Path]:
    root = Path(workdir) / f"synthetic-{size}"
    return root / "docs", root / "index"


def measure_scale_build(size: int, workdir: str | Path, seed: int = 0, settings: Settings | None = None) -> ScaleBuild:
    """Write a synthetic corpus of ``size`` passages and build its index (models loaded first)."""
    docs, index_dir = _scale_folders(size, workdir)
    write_corpus(synthetic_corpus(size, 0, seed), docs)
    qa, _ = make_qa(docs, index_dir, settings)
    load_models(qa)
    log(f"scale {size}: building the index")
    t0 = time.perf_counter()
    index, report = qa.index(force=True)
    seconds = time.perf_counter() - t0
    return ScaleBuild(report.passages, report.documents, seconds, folder_bytes(index.folder), peak_rss_mb(),
                      report.stages)


def _time_retrievers(retriever, question: str, query_vec: np.ndarray) -> tuple[float, float]:
    t0 = time.perf_counter()
    retriever.dense(query_vec, retriever.candidates)
    t1 = time.perf_counter()
    retriever.sparse(question, retriever.candidates)
    return t1 - t0, time.perf_counter() - t1


def measure_scale_query(size: int, workdir: str | Path, questions: int = 100, rounds: int = 3, seed: int = 0,
                        settings: Settings | None = None) -> ScaleQuery:
    """Load the index built by :func:`measure_scale_build` and answer the synthetic questions."""
    from qa.metrics import normalize_answer
    from qa.retrieval import HybridRetriever

    docs, index_dir = _scale_folders(size, workdir)
    facts = synthetic_corpus(size, questions, seed).facts
    qa, _ = make_qa(docs, index_dir, settings)
    load_models(qa)
    import bm25s  # noqa: E401, F401 - imported before the baseline: the index's own memory only

    gc.collect()
    models_mb = rss_mb()
    t0 = time.perf_counter()
    index, report = qa.index()
    load_s = time.perf_counter() - t0
    if report is not None:
        raise RuntimeError(f"the synthetic index was rebuilt ({report.reason}), not loaded")
    gc.collect()
    rss = rss_mb()

    log(f"scale {size}: {len(facts)} questions x {rounds} rounds")
    s = qa.settings
    retriever = HybridRetriever(index, qa.embedder, s.candidates, s.rrf_k)
    vecs = qa.embedder.encode([f.question for f in facts])
    same = lambda a, b: normalize_answer(a or "") == normalize_answer(b)  # noqa: E731
    hits = exact = candidate = 0
    for f, vec in zip(facts, vecs):  # warm-up round: checks retrieval and answers
        answer = qa.ask(f.question)
        top = retriever.retrieve(f.question, s.top_k, query_vec=vec)
        hits += any(h.passage.text.split("\n", 1)[0] == f.name for h in top)
        exact += same(answer.answer, f.answer)
        candidate += same(answer.candidate, f.answer)
    totals, dense_s, sparse_s = [], [], []
    stages: dict[str, list[float]] = {st: [] for st in STAGES}
    for _ in range(rounds):
        for f, vec in zip(facts, vecs):
            timings = qa.ask(f.question).timings
            totals.append(timings["total"])
            for st in STAGES:
                stages[st].append(timings.get(st, 0.0))
            d, sp = _time_retrievers(retriever, f.question, vec)
            dense_s.append(d)
            sparse_s.append(sp)
    n = max(1, len(facts))
    return ScaleQuery(load_s, models_mb, rss, totals, stages, dense_s, sparse_s, measure_status(qa),
                      recall_at_k(index.dense, vecs), index_kind(index.dense), hits / n, exact / n, candidate / n,
                      len(facts))


def measure_scale(size: int, workdir: str | Path, questions: int = 100, rounds: int = 3, seed: int = 0,
                  settings: Settings | None = None, isolated: bool = True) -> ScaleResult:
    """Build in one fresh process, then load and query in another (clean memory figures).

    ``isolated=False`` runs both here (for tests: quicker, memory figures then mean little).
    """
    run = run_isolated if isolated else (lambda fn, *args: fn(*args))
    build = run(measure_scale_build, size, str(workdir), seed, settings)
    query = run(measure_scale_query, size, str(workdir), questions, rounds, seed, settings)
    return ScaleResult(size, build, query)
