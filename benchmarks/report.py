"""The report: one table of rows against the targets, where the time goes, the machine, BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.article import Memory, WarmLatency
from benchmarks.fresh import BuildResult, FirstAnswer, ImportResult
from benchmarks.harness import STAGES, ms, percentile
from benchmarks.scale import FLOOR_SAMPLE, ScaleResult

TARGETS = {
    "warm_p50_ms": 60.0,
    "warm_p95_ms": 150.0,
    "floor_ratio": 1.5,
    "first_answer_s": 6.0,
    "article_build_s": 3.0,
    "scale_build_pps": 100.0,
    "scale_p50_ms": 100.0,
    "scale_recall": 0.98,
    "floor_share": 0.80,  # build throughput / the embedder's own passages/s (issue 11), every size
    "update_share": 0.05,  # one changed file / a full build's time (issue 11), from 10k passages
}
TARGET_SIZE = 100_000  # the scale targets apply to this size



@dataclass
class Row:
    """One line of the results table."""

    measure: str
    value: str
    target: str = ""
    ok: bool | None = None  # None: no target
    detail: str = ""

    @property
    def status(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "FAIL")

    def cells(self) -> list[str]:
        return [self.measure, self.value, self.target, self.status, self.detail]


@dataclass
class Results:
    """Everything one benchmark run measured (absent parts stay None / empty)."""

    imports: ImportResult | None = None
    first: FirstAnswer | None = None
    libraries: dict[str, float] = field(default_factory=dict)
    warm_build: BuildResult | None = None
    cold_build: BuildResult | None = None
    model_load_s: float | None = None
    latency: WarmLatency | None = None
    status_s: float | None = None
    memory: Memory | None = None
    scale: list[ScaleResult] = field(default_factory=list)


def _at_most(value: float, target: float) -> bool:
    return bool(value <= target)


def import_rows(r: ImportResult) -> list[Row]:
    loaded = ", ".join(r.modules) or "none"
    return [
        Row("`import qa`", f"{ms(statistics.median(r.seconds)):.0f} ms",
            detail=f"median of {len(r.seconds)}; {ms(statistics.median(r.wall)):.0f} ms with interpreter start"),
        Row("`import qa` loads torch/transformers/gradio", "no" if r.clean else "yes", "no", r.clean,
            f"heavy modules loaded: {loaded}"),
    ]


def first_answer_rows(r: FirstAnswer) -> list[Row]:
    wall = statistics.median(r.wall)
    st = {k: statistics.median(d[k] for d in r.stages) for k in r.stages[0]}
    detail = (f"median of {len(r.wall)}; import {st['import']:.1f} s, index + embedder load "
              f"{st.get('index_check', 0):.1f} s, encode {st.get('encode', 0):.1f} s, retrieve "
              f"{st.get('retrieve', 0):.2f} s, reader load + read {st.get('read', 0):.1f} s")
    t = TARGETS["first_answer_s"]
    detail += f"; answered {r.answer!r}"
    return [
        Row("first answer, fresh process", f"{wall:.2f} s", f"≤ {t:g} s", _at_most(wall, t), detail),
        Row("peak RSS, fresh process, one answer", f"{statistics.median(r.peak_rss_mb):.0f} MB",
            detail=f"loads: {', '.join(r.modules)}"),
    ]


def library_rows(seconds: dict[str, float]) -> list[Row]:
    detail = ", ".join(f"{name} {t:.2f}" for name, t in sorted(seconds.items(), key=lambda kv: -kv[1]))
    return [Row("library imports, fresh process", f"{sum(seconds.values()):.2f} s", detail=f"{detail} (s)")]


def build_rows(warm: BuildResult | None, cold: BuildResult | None) -> list[Row]:
    rows = []
    if warm:
        t = TARGETS["article_build_s"]
        rows.append(Row("article index build, warm", f"{warm.median:.2f} s", f"≤ {t:g} s", _at_most(warm.median, t),
                        "; ".join(filter(None, [f"{warm.passages} passages, median of {len(warm.seconds)}",
                                                warm.note]))))
    if cold:
        rows.append(Row("article index build, cold", f"{cold.median:.2f} s",
                        detail="; ".join(filter(None, [f"median of {len(cold.seconds)}", cold.note]))))
    return rows


def latency_rows(lat: WarmLatency, model_load_s: float | None) -> list[Row]:
    ratios = lat.round_ratios()
    rounds = len(lat.totals)
    per_round = ", ".join(f"{ms(percentile(t, 50)):.0f}" for t in lat.totals)
    rows = [
        Row("warm latency p50", f"{ms(lat.p50):.1f} ms", f"≤ {TARGETS['warm_p50_ms']:g} ms",
            _at_most(ms(lat.p50), TARGETS["warm_p50_ms"]),
            f"{lat.questions} questions × {rounds} rounds; p50 per round: {per_round} ms"),
        Row("warm latency p95", f"{ms(lat.p95):.1f} ms", f"≤ {TARGETS['warm_p95_ms']:g} ms",
            _at_most(ms(lat.p95), TARGETS["warm_p95_ms"])),
        Row("floor p50 (encode + one reader pass)", f"{ms(lat.floor_p50):.1f} ms",
            detail=f"encode {ms(percentile(sum(lat.floor_encode, []), 50)):.1f} ms, reader "
                   f"{ms(percentile(sum(lat.floor_read, []), 50)):.1f} ms over {lat.passages_read:.1f} passages "
                   "on average"),
        Row("p50 / floor", f"{lat.ratio:.2f}×", f"≤ {TARGETS['floor_ratio']:g}×",
            _at_most(lat.ratio, TARGETS["floor_ratio"]),
            "median of per-round ratios: " + ", ".join(f"{x:.2f}" for x in ratios)),
    ]
    for s in ("encode", "retrieve", "read"):
        rows.append(Row(f"  stage p50: {s}", f"{ms(lat.stage_p50(s)):.1f} ms"))
    if model_load_s is not None:
        rows.append(Row("model load, in process", f"{model_load_s:.1f} s", detail="embedder, reader, answer types"))
    return rows


def memory_rows(mem: Memory) -> list[Row]:
    return [Row("RSS, warm (models + article index)", f"{mem.rss_mb:.0f} MB",
                detail=f"peak of the benchmark process so far {mem.peak_mb:.0f} MB")]


def scale_rows(r: ScaleResult) -> list[Row]:
    """Rows for one synthetic size on one backend; the latency and recall targets are judged at
    ``TARGET_SIZE`` only, the build's floor share at every size, the update share from 10k."""
    b, q = r.build, r.query
    n = f"{r.label} {r.backend}"
    judged = r.size == TARGET_SIZE

    def target(key: str, fmt: str) -> str:
        return fmt.format(TARGETS[key]) if judged else ""

    def ok(passed: bool) -> bool | None:
        return passed if judged else None

    server = f"; PostgreSQL server processes {q.server_mb:.0f} MB (USS)" if r.backend == "postgresql" else ""
    update_judged = r.size >= 10_000 and not b.reused_vectors  # a share of a build that embedded nothing means little
    build = f"{b.passages} passages in {b.documents} files, {b.seconds:.1f} s ({b.stage_text}); " \
            f"spaCy's sentence model loaded beforehand in {b.splitter_load_s:.1f} s; peak RSS {b.peak_mb:.0f} MB"
    if b.reused_vectors:  # embedding not timed: no throughput to judge
        head = [Row(f"{n}: build without embedding", f"{r.throughput:.0f} passages/s",
                    detail=f"vectors taken from the local index of the same corpus, not embedded again: {build}")]
    else:
        head = [
            Row(f"{n}: build throughput", f"{r.throughput:.0f} passages/s",
                target("scale_build_pps", "≥ {:g} passages/s"), ok(r.throughput >= TARGETS["scale_build_pps"]), build),
            Row(f"{n}: build / the embedder's own speed", f"{100 * r.floor_share:.0f}%",
                f"≥ {100 * TARGETS['floor_share']:.0f}%", bool(r.floor_share >= TARGETS["floor_share"]),
                f"the embedder alone: {b.floor_pps:.0f} passages/s over {FLOOR_SAMPLE} of these passages"),
        ]
    return head + [
        Row(f"{n}: one changed file, indexed again", f"{b.update_s:.2f} s",
            "≤ 5% of the build" if update_judged else "",
            bool(r.update_share <= TARGETS["update_share"]) if update_judged else None,
            (f"{100 * r.update_share:.1f}% of the full build's {b.seconds:.1f} s; " if not b.reused_vectors else "")
            + f"{b.update_embedded} passages re-embedded, the rest kept as stored"),
        Row(f"{n}: index on disk", f"{b.index_bytes / 2**20:.1f} MB",
            detail=f"{r.disk_kb_per_passage:.2f} KB/passage; loads in {q.load_s:.2f} s"),
        Row(f"{n}: RSS with index loaded", f"{q.rss_mb:.0f} MB",
            detail=f"{r.kb_per_passage:.2f} KB/passage above the {q.models_mb:.0f} MB of the models{server}"),
        Row(f"{n}: query p50", f"{ms(r.p50):.1f} ms", target("scale_p50_ms", "≤ {:g} ms"),
            ok(ms(r.p50) <= TARGETS["scale_p50_ms"]),
            f"p95 {ms(r.p95):.1f} ms; {q.questions} questions; retrieve p50 "
            f"{ms(percentile(q.stages['retrieve'], 50)):.1f} ms (dense {ms(percentile(q.dense_s, 50)):.1f}, "
            f"keyword {ms(percentile(q.sparse_s, 50)):.1f})"),
        Row(f"{n}: recall@10 vs exact search", f"{q.recall_at_10:.3f}", target("scale_recall", "≥ {:g}"),
            ok(q.recall_at_10 >= TARGETS["scale_recall"]), q.index_kind),
        Row(f"{n}: right passage in top 5", f"{100 * q.hit_at_k:.0f}%",
            detail=f"answers exactly right {100 * q.exact:.0f}% (best span {100 * q.candidate_exact:.0f}%)"),
    ]


def rows(results: Results) -> list[Row]:
    out: list[Row] = []
    if results.imports:
        out += import_rows(results.imports)
    if results.first:
        out += first_answer_rows(results.first)
    if results.libraries:
        out += library_rows(results.libraries)
    out += build_rows(results.warm_build, results.cold_build)
    if results.latency:
        out += latency_rows(results.latency, results.model_load_s)
    if results.memory:
        out += memory_rows(results.memory)
    for r in results.scale:
        out += scale_rows(r)
    return out


def table(rows_: list[Row]) -> str:
    header = ["measure", "value", "target", "", "detail"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row.cells()) + " |" for row in rows_]
    return "\n".join(lines)


def where_time_goes(results: Results) -> list[str]:
    """Share of the p50 per stage, and what lies above the floor."""
    lines = []
    lat = results.latency
    if lat:
        p50, mean = lat.p50, float(np.mean(lat.all_totals()))
        lines.append(f"Warm `ask()` over the article: p50 {ms(p50):.1f} ms, mean {ms(mean):.1f} ms. "
                     "Per stage, its median and its share of the mean (means add up, medians need not):")
        for s in STAGES:
            lines.append(f"- {s}: {ms(lat.stage_p50(s)):.1f} ms ({100 * lat.stage_mean(s) / mean:.0f}%)")
        rest = mean - sum(lat.stage_mean(s) for s in STAGES)
        lines.append(f"- outside the stages: {ms(rest):.1f} ms ({100 * rest / mean:.0f}%)")
        enc = percentile(sum(lat.floor_encode, []), 50)
        rd = percentile(sum(lat.floor_read, []), 50)
        lines += [
            "",
            f"The floor is {ms(lat.floor_p50):.1f} ms: encoding the question {ms(enc):.1f} ms, one reader pass "
            f"{ms(rd):.1f} ms; the p50 is {ms(p50 - lat.floor_p50):.1f} ms above it. Above the floor: retrieval "
            f"({ms(lat.stage_p50('retrieve')):.1f} ms), and in `read` ({ms(lat.stage_p50('read')):.1f} ms vs "
            f"{ms(rd):.1f} ms of model) span decoding, the answer-type and "
            f"calibration features, and further reader passes for the {100 * lat.second_look:.0f}% of questions "
            "whose top passage gave no sure answer (reading stops at the first sure one).",
        ]
        if results.status_s is not None:
            lines.append(f"The index freshness check (`index_check`, at most once a second) costs "
                         f"{ms(results.status_s):.1f} ms when it runs.")
    for r in results.scale:
        q, p50, mean = r.query, r.p50, float(np.mean(r.query.totals))
        shares = ", ".join(f"{s} {ms(percentile(q.stages[s], 50)):.1f} ms "
                           f"({100 * np.mean(q.stages[s]) / mean:.0f}% of the mean)"
                           for s in ("encode", "retrieve", "read"))
        lines += ["", f"{r.build.passages} synthetic passages ({r.backend}), p50 {ms(p50):.1f} ms: {shares}; "
                      f"keyword {ms(percentile(q.sparse_s, 50)):.1f} ms and dense {ms(percentile(q.dense_s, 50)):.1f} ms "
                      f"of the retrieval; freshness check {ms(q.status_s):.1f} ms when it runs."]
    return lines


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f", {kb / 2**20:.0f} GiB memory"
    except (OSError, IndexError, ValueError):
        pass
    return f"{os.cpu_count()} CPUs ({model}){mem}, {platform.system()} {platform.release()}"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"Python {platform.python_version()}"]
    for pkg in ("onnxruntime", "torch", "sentence-transformers", "faiss-cpu", "bm25s", "spacy"):
        try:
            parts.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts)


def _cpu_seconds() -> tuple[float, float, float]:
    """(wall clock, CPU seconds all processes used, CPU seconds this process and its children used)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait; steal counts as taken
    t = os.times()
    return time.monotonic(), busy / os.sysconf("SC_CLK_TCK"), t.user + t.system + t.children_user + t.children_system


@dataclass
class Background:
    """How busy the machine was with other work while the benchmark ran."""

    others_share: float  # share of all CPUs other processes (or the hypervisor: steal) took
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float]

    @property
    def busy(self) -> bool:
        return self.others_share > 0.10


class BackgroundWatch:
    """Start before the benchmark, ``stop()`` after it: what other processes took meanwhile."""

    def __init__(self) -> None:
        self.load = os.getloadavg()
        self.start = _cpu_seconds() if Path("/proc/stat").exists() else None

    def stop(self) -> Background:
        share = float("nan")
        if self.start is not None:
            (w0, all0, own0), (w1, all1, own1) = self.start, _cpu_seconds()
            share = max(0.0, ((all1 - all0) - (own1 - own0)) / ((w1 - w0) * (os.cpu_count() or 1)))
        return Background(share, self.load, os.getloadavg())


def report(results: Results, command: str, background: Background) -> str:
    loads = [", ".join(f"{x:.1f}" for x in la) for la in (background.load_start, background.load_end)]
    lines = [
        "# Benchmarks",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- Machine: {machine()}",
        f"- Software: {versions()}",
        f"- Command: `{command}`",
        f"- Other work on the machine: {100 * background.others_share:.0f}% of the CPUs during the run "
        f"(load average at start {loads[0]}, at end {loads[1]})",
    ]
    if background.busy:
        lines += ["", "> **Other processes were using the CPUs during this run: the timings are not meaningful.**"]
    lines += ["", "## Results", "", table(rows(results)), "", "## Where the time goes", ""]
    lines += where_time_goes(results)
    lines += [
        "",
        "## How it is measured",
        "",
        "- Latencies are `Answer.timings` of `QA.ask` with models loaded and the index built; one warm-up "
        "round over the questions is discarded; p50/p95 pool every later round.",
        "- The floor is `embedder.encode([q])` plus one `reader.logits` call over exactly the passages "
        "`ask` read for that question, timed next to each `ask` (alternately before and after); "
        "p50 / floor is the median over rounds "
        "of the ratio measured within a round, so a noisy neighbour affects both sides alike.",
        "- Fresh-process figures run `python -c ...` and count from starting the interpreter to the answer "
        "(index already built; the ONNX export already cached; page cache warm).",
        "- Synthetic corpora: invented people with random facts (one passage each, 50 per file), from "
        "a fixed seed. Each size is built in one fresh process and loaded and queried in another; memory "
        "per passage is the RSS the loaded index adds to the models. recall@10 compares the FAISS index in use "
        "(IndexFlatIP below `hnsw_threshold` passages, HNSW above) with exact search over the same vectors, "
        "for the synthetic questions' embeddings.",
        "",
        "Run `python -m benchmarks --help` for the options.",
    ]
    return "\n".join(lines) + "\n"
