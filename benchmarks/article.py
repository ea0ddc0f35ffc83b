"""In-process measurements over the article: warm builds, warm latency and its floor, memory."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.fresh import BuildResult
from benchmarks.harness import (
    STAGES,
    ReadTrace,
    ask_traced,
    log,
    ms,
    peak_rss_mb,
    percentile,
    rss_mb,
    time_floor,
)


def measure_warm_build(qa, runs: int) -> BuildResult:
    """``QA.index(force=True)`` with the embedder and reader loaded (spaCy loads in each build)."""
    from qa.models import load_corpus_nlp

    seconds, passages = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        _, report = qa.index(force=True)
        seconds.append(time.perf_counter() - t0)
        passages = report.passages
    t0 = time.perf_counter()
    load_corpus_nlp()
    spacy_s = time.perf_counter() - t0
    return BuildResult("warm", passages, seconds, f"of which {ms(spacy_s):.0f} ms reloading spaCy")


@dataclass
class WarmLatency:
    """``ask`` timings and the floor, per round (warm-up round excluded)."""

    questions: int
    totals: list[list[float]]  # [round][question] seconds
    stages: dict[str, list[float]]  # stage -> every sample, seconds
    floor_encode: list[list[float]]  # [round][question]
    floor_read: list[list[float]]
    second_look: float  # share of questions whose top passage was not enough (the reader ran again)
    passages_read: float  # mean passages read per question

    def all_totals(self) -> list[float]:
        return [t for r in self.totals for t in r]

    def floors(self) -> list[list[float]]:
        return [[e + r for e, r in zip(es, rs)] for es, rs in zip(self.floor_encode, self.floor_read)]

    @property
    def p50(self) -> float:
        return percentile(self.all_totals(), 50)

    @property
    def p95(self) -> float:
        return percentile(self.all_totals(), 95)

    @property
    def floor_p50(self) -> float:
        return percentile([f for r in self.floors() for f in r], 50)

    def round_ratios(self) -> list[float]:
        """p50 / floor p50 within each round (both measured under the same conditions)."""
        return [percentile(t, 50) / percentile(f, 50) for t, f in zip(self.totals, self.floors())]

    @property
    def ratio(self) -> float:
        return statistics.median(self.round_ratios())

    def stage_p50(self, stage: str) -> float:
        return percentile(self.stages.get(stage, []), 50)

    def stage_mean(self, stage: str) -> float:
        return float(np.mean(self.stages[stage])) if self.stages.get(stage) else 0.0


def measure_warm_latency(qa, trace: ReadTrace, questions: list[str], rounds: int) -> WarmLatency:
    """Ask every question ``rounds`` times after one discarded warm-up round, each followed by its floor."""
    reads: dict[str, tuple[str, list[str]]] = {}
    second = 0
    for q in questions:  # warm-up: also records what the reader reads for each question
        answer, passages = ask_traced(qa, trace, q)
        reads[q] = (answer.resolved_question, passages)
        second += len(trace.calls) > 1
        time_floor(qa.embedder, trace.reader, *reads[q])
    totals, f_enc, f_read = [], [], []
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    for r in range(rounds):
        log(f"warm latency: round {r + 1}/{rounds}")
        round_totals, round_enc, round_read = [], [], []
        for i, q in enumerate(questions):
            if i % 2:  # alternate which goes first, so neither always finds the caches warmed by the other
                enc, read = time_floor(qa.embedder, trace.reader, *reads[q])
            timings = qa.ask(q).timings
            if not i % 2:
                enc, read = time_floor(qa.embedder, trace.reader, *reads[q])
            round_totals.append(timings["total"])
            for s in STAGES:
                stages[s].append(timings.get(s, 0.0))
            round_enc.append(enc)
            round_read.append(read)
        totals.append(round_totals)
        f_enc.append(round_enc)
        f_read.append(round_read)
    n = max(1, len(questions))
    return WarmLatency(len(questions), totals, stages, f_enc, f_read, second / n,
                       sum(len(p) for _, p in reads.values()) / n)


def measure_status(qa, runs: int = 5) -> float:
    """Median seconds of the freshness check ``ask`` runs at most once per ``check_interval``."""
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        qa.status()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


@dataclass
class Memory:
    rss_mb: float
    peak_mb: float


def measure_memory() -> Memory:
    gc.collect()
    return Memory(rss_mb(), peak_rss_mb())
