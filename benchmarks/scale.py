"""Scale runs on each backend: build a synthetic corpus's index in one fresh process (with the
embedder's own speed beside it, and one changed file indexed afterwards), then load and query it
in another. ``measure_scale(1000, workdir, backend=Backend("postgresql", url))``.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.article import measure_status
from benchmarks.backends import Backend, server_mb
from benchmarks.harness import (
    STAGES,
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
from qa.models import load_senter

FLOOR_SAMPLE = 512  # passages embedded alone to measure the embedder's own passages/s

@dataclass
class ScaleBuild:
    """Building the index of a synthetic corpus, models already loaded."""

    passages: int
    documents: int
    seconds: float
    index_bytes: int
    peak_mb: float  # largest RSS of the building process
    stages: dict[str, float] = field(default_factory=dict)  # BuildReport.stages
    floor_pps: float = 0.0  # the embedder alone, passages/s, over a sample of the same passages
    update_s: float = 0.0  # one changed file indexed after the full build (same process, same run)
    update_embedded: int = 0  # passages that update re-embedded
    server_mb: float = 0.0  # PostgreSQL server processes' memory after the build (postgresql only)
    splitter_load_s: float = 0.0  # loading spaCy's sentence recognizer, before the timed build
    reused_vectors: bool = False  # the build took its vectors from the local index of the same corpus

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
    server_mb: float = 0.0  # PostgreSQL server processes' memory while answering (postgresql only)


@dataclass
class ScaleResult:
    size: int
    build: ScaleBuild
    query: ScaleQuery
    backend: str = "local"

    @property
    def label(self) -> str:
        return f"{self.size // 1000}k" if self.size % 1000 == 0 else str(self.size)

    @property
    def throughput(self) -> float:
        return self.build.passages / self.build.seconds

    @property
    def floor_share(self) -> float:
        """Build throughput as a share of the embedder's own passages/s (the target is 80%)."""
        return self.throughput / self.build.floor_pps if self.build.floor_pps else float("nan")

    @property
    def update_share(self) -> float:
        """One changed file's update as a share of the full build's time (the target is 5%)."""
        return self.build.update_s / self.build.seconds

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


def recall_at_k(store, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top ``k`` (every stored vector, numpy) that the store's dense search returns."""
    ids, vectors = store.vectors()
    k = min(k, len(ids))
    if k == 0:
        return float("nan")
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :k]
    found = [{pid for pid, _ in store.dense_search(q, k)} for q in queries]
    return float(np.mean([len({ids[i] for i in t} & f) / k for t, f in zip(truth, found)]))


def _scale_folders(size: int, workdir: str | Path, backend: Backend) -> tuple[Path, Path]:
    root = Path(workdir) / f"synthetic-{size}"
    return root / "docs", root / f"index-{backend.name}"


def embedder_floor(qa, texts: list[str]) -> float:
    """The embedder's own passages/s over ``texts`` (after one warm-up batch)."""
    qa.embedder.encode(texts[:8])
    t0 = time.perf_counter()
    qa.embedder.encode(texts)
    return len(texts) / (time.perf_counter() - t0)


class ReusedVectors:
    """Stands in for the embedder in a build: the vectors ``store`` holds for the same passage texts,
    and ``embedder``'s for any other text. For a scale run on a second backend whose embedding was
    measured on the first (a 100k-passage PostgreSQL build from the local 100k index)."""

    def __init__(self, store, embedder) -> None:
        ids, vectors = store.vectors()
        self.known = {p.indexed_text: v for p, v in zip(store.passages(ids), vectors)}
        self.embedder = embedder

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        new = [t for t in texts if t not in self.known]
        fresh = dict(zip(new, self.embedder.encode(new))) if new else {}
        return np.stack([self.known[t] if t in self.known else fresh[t] for t in texts]).astype(np.float32)


def measure_scale_build(size: int, workdir: str | Path, seed: int = 0, settings: Settings | None = None,
                        backend: Backend = Backend("local"), reuse_local: bool = False) -> ScaleBuild:
    """Write a synthetic corpus of ``size`` passages, build its index (models loaded first), then change
    one file and index again: the incremental update, timed in the same run.

    ``reuse_local``: take the passages' vectors from the local index of this size built before (the
    build then times splitting and storing, not embedding); the update embeds as always."""
    docs, index_dir = _scale_folders(size, workdir, backend)
    corpus = synthetic_corpus(size, 0, seed)
    write_corpus(corpus, docs)
    qa, _ = make_qa(docs, index_dir, backend.settings(docs, index_dir, size, settings))
    load_models(qa)
    # the splitter's model is loaded before the clock starts, as the embedder is: the build's
    # throughput is then set beside the embedder's own (a fixed second or more, shown apart)
    t0 = time.perf_counter()
    load_senter()
    splitter_load_s = time.perf_counter() - t0
    log(f"scale {size} ({backend.name}): the embedder alone")
    sample = [s for text in corpus.documents.values() for s in text.strip().split("\n\n")][:FLOOR_SAMPLE]
    floor = embedder_floor(qa, sample)
    log(f"scale {size} ({backend.name}): building the index" + (" (vectors of the local index)" if reuse_local else ""))
    if reuse_local:
        from qa.index import IndexBuilder, open_store

        local = open_store(Backend("local").settings(docs, _scale_folders(size, workdir, Backend("local"))[1], size))
        reused = ReusedVectors(local, qa.embedder)
        builder = IndexBuilder(qa.settings, qa.store, embedder=lambda: reused)
        t0 = time.perf_counter()
        report = builder.update(reason="requested", force=True)
    else:
        t0 = time.perf_counter()
        _, report = qa.index(force=True)
    seconds = time.perf_counter() - t0
    status = qa.store.status()
    peak = peak_rss_mb()
    changed = docs / sorted(corpus.documents)[len(corpus.documents) // 2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA Late Addition\nThis file changed after the "
                       "index was built, and only this file is indexed again.\n", encoding="utf-8")
    log(f"scale {size} ({backend.name}): one changed file")
    t0 = time.perf_counter()
    _, update = qa.index()
    update_s = time.perf_counter() - t0
    if update is None or update.changed != [changed.name]:
        raise RuntimeError(f"the changed file was not indexed alone: {update and update.summary()}")
    return ScaleBuild(report.passages, report.documents, seconds, status.disk_bytes, peak, report.stages, floor,
                      update_s, update.embedded, server_mb() if backend.name == "postgresql" else 0.0,
                      splitter_load_s, reuse_local)


def _time_retrievers(retriever, question: str, query_vec: np.ndarray) -> tuple[float, float]:
    t0 = time.perf_counter()
    retriever.dense(query_vec, retriever.candidates)
    t1 = time.perf_counter()
    retriever.sparse(question, retriever.candidates)
    return t1 - t0, time.perf_counter() - t1


def measure_scale_query(size: int, workdir: str | Path, questions: int = 100, rounds: int = 3, seed: int = 0,
                        settings: Settings | None = None, backend: Backend = Backend("local")) -> ScaleQuery:
    """Load the index built by :func:`measure_scale_build` and answer the synthetic questions."""
    from qa.metrics import normalize_answer

    docs, index_dir = _scale_folders(size, workdir, backend)
    facts = synthetic_corpus(size, questions, seed).facts
    qa, _ = make_qa(docs, index_dir, backend.settings(docs, index_dir, size, settings))
    load_models(qa)
    import bm25s, faiss, psycopg  # noqa: E401, F401 - imported before the baseline: the index's own memory only

    gc.collect()
    models_mb = rss_mb()
    t0 = time.perf_counter()
    _, report = qa.index()
    qa.store.open()
    load_s = time.perf_counter() - t0
    if report is not None:
        raise RuntimeError(f"the synthetic index was rebuilt ({report.reason}), not loaded")
    gc.collect()
    rss = rss_mb()

    log(f"scale {size} ({backend.name}): {len(facts)} questions x {rounds} rounds")
    s = qa.settings
    retriever = qa.retriever()
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
                      recall_at_k(qa.store, vecs), qa.store.status().dense, hits / n, exact / n, candidate / n,
                      len(facts), server_mb() if backend.name == "postgresql" else 0.0)


def measure_scale(size: int, workdir: str | Path, questions: int = 100, rounds: int = 3, seed: int = 0,
                  settings: Settings | None = None, isolated: bool = True,
                  backend: Backend = Backend("local"), reuse_local: bool = False) -> ScaleResult:
    """Build in one fresh process, then load and query in another (clean memory figures).

    ``isolated=False`` runs both here (for tests: quicker, memory figures then mean little).
    """
    run = run_isolated if isolated else (lambda fn, *args: fn(*args))
    build = run(measure_scale_build, size, str(workdir), seed, settings, backend, reuse_local)
    query = run(measure_scale_query, size, str(workdir), questions, rounds, seed, settings, backend)
    return ScaleResult(size, build, query, backend.name)
