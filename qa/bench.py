"""Benchmark articleqa: latency, its floor, first answer, index builds, memory and scale.

Usage::

    python -m qa.bench                        # everything; synthetic corpora of 1k, 10k, 100k passages
    python -m qa.bench --quick                # CI-sized: 1k synthetic passages, fewer rounds and runs
    python -m qa.bench --sizes 1k,10k         # choose the synthetic sizes (--sizes "" for none)
    python -m qa.bench --rounds 5 --runs 3 --out BENCHMARKS.md

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
  one passage each, and questions with known answers. Each size runs in a fresh process:
  build throughput, index size on disk, RSS, query p50/p95, recall@10 of the FAISS index in use
  against exact search over the same vectors, and whether retrieval finds the right passage.

The 100k build takes about 15-20 minutes on 2 cores. Timings on a busy machine mean little: the
report says how much CPU other processes took during the run, and warns above 10%.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.config import Settings

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_DIR = ROOT / "source_docs"
QUESTIONS = ROOT / "tests" / "data" / "questions.jsonl"

HEAVY = ("torch", "transformers", "gradio", "sentence_transformers", "spacy", "onnxruntime", "faiss")
MUST_NOT_IMPORT = ("torch", "transformers", "gradio")
STAGES = ("resolve", "index_check", "encode", "retrieve", "read")

TARGETS = {
    "warm_p50_ms": 60.0,
    "warm_p95_ms": 150.0,
    "floor_ratio": 1.5,
    "first_answer_s": 6.0,
    "article_build_s": 3.0,
    "scale_build_pps": 100.0,
    "scale_p50_ms": 100.0,
    "scale_recall": 0.98,
}
TARGET_SIZE = 100_000  # the scale targets apply to this size

FULL = {"sizes": "1k,10k,100k", "rounds": 5, "runs": 3, "scale_questions": 100}
QUICK = {"sizes": "1k", "rounds": 2, "runs": 1, "scale_questions": 20}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- helpers


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


# ------------------------------------------------------------------------ the QA under test


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


# ------------------------------------------------------------------ fresh-process measurements


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


# ---------------------------------------------------------------------- in-process measurements


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
        qa.store.status()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


@dataclass
class Memory:
    rss_mb: float
    peak_mb: float


def measure_memory() -> Memory:
    gc.collect()
    return Memory(rss_mb(), peak_rss_mb())


# ------------------------------------------------------------------------- synthetic corpora

FIRST_NAMES = (
    "Ada Aldo Alma Anika Arlo Asha Bao Bruno Cai Carmen Cyra Dario Dina Edda Elio Elke Emre Fenna Flora "
    "Gideon Greta Hana Hugo Ilse Ines Ivo Jana Jonas Kaia Kenji Lara Leif Lina Luca Mara Mateo Mila Milo "
    "Nadia Nico Nina Noor Odile Omar Otto Paz Petra Quinn Rafa Rosa Rune Sana Saul Selma Soren Tala Teo "
    "Thea Tomas Una Uri Vera Vik Wanda Wim Xenia Yara Yusuf Zane Zelda Zora Basil Clio Dov Esme Fitz"
).split()
ONSETS = "b br d dr f g gr h k kl l m n p pr r s st t tr v z".split()
VOWELS = "a e i o u ai ei ou".split()
CODAS = ("", "n", "r", "l", "s", "nd", "rk", "st")
TOWN_ENDS = "ford holm wick dale burg mouth stead by ton vik haven moor".split()
COMPANY_ENDS = "Labs Works Foundry Systems Logistics Textiles Robotics Bakeries Shipping Optics Mills Press".split()
OCCUPATIONS = (
    "architect baker beekeeper cartographer chemist carpenter dentist editor engineer farmer florist "
    "geologist glassblower historian illustrator jeweller journalist librarian locksmith mechanic midwife "
    "nurse optician painter pharmacist photographer pilot plumber potter programmer sailor sculptor "
    "surveyor tailor teacher translator veterinarian violin-maker weaver zoologist"
).split()
INSTRUMENTS = ("cello", "violin", "oboe", "banjo", "accordion", "harp", "trumpet", "clarinet", "flute", "drums",
               "mandolin", "bassoon", "ukulele", "saxophone", "trombone", "sitar", "piano", "harmonica")
COLORS = ("black", "white", "grey", "ginger", "brown", "golden", "spotted", "striped", "silver", "cream")
ANIMALS = ("cat", "dog", "parrot", "rabbit", "tortoise", "ferret", "goat", "hamster", "canary", "lizard")
PET_NAMES = (
    "Biscuit Pepper Juniper Mochi Noodle Olive Pickle Pumpkin Rusty Saffron Sprout Tofu Waffle Ziggy Clover "
    "Domino Fig Gizmo Hazel Indigo Jasper Kiwi Luna Marble Nutmeg Oreo Pippin Quill Rocket Sage Toffee Ume"
).split()
PRIZE_WORDS = ("Silver Lantern", "Golden Compass", "Iron Quill", "Blue Harbour", "Amber Key", "Copper Owl",
               "Crystal Bridge", "Red Kite", "Green Anchor", "White Heron", "Stone Arch", "Northern Star")
PRIZE_FOR = ("her community work", "his research", "their design work", "outstanding craft", "a short film",
             "a book of essays", "services to the town", "a bold invention")


@dataclass
class Person:
    name: str
    first: str
    town: str
    year: int
    occupation: str
    company: str
    instrument: str
    color: str
    animal: str
    pet: str
    countries: int
    prize: str
    prize_year: int
    colleague: int  # index of another person


@dataclass
class Fact:
    """A question about one person and its known answer; ``name`` heads the right passage."""

    name: str
    question: str
    answer: str


@dataclass
class SyntheticCorpus:
    documents: dict[str, str]  # file name -> text
    facts: list[Fact]
    passages: int  # one per person


def _syllables() -> tuple[list[str], list[str]]:
    """Open (consonant + vowel) and closed (+ final consonants) syllables for invented names."""
    open_ = [o + v for o in ONSETS for v in VOWELS]
    closed = [o + v + c for o in ONSETS for v in VOWELS for c in CODAS]
    return open_, closed


def _words(rng: random.Random, count: int, make) -> list[str]:
    """``count`` distinct words from ``make(rng)``."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen[make(rng)] = None
    return list(seen)


def _people(n: int, rng: random.Random) -> list[Person]:
    open_, closed = _syllables()
    surnames = _words(rng, max(2000, 2 * n // len(FIRST_NAMES) + 1),
                      lambda r: (r.choice(open_) + r.choice(closed)).capitalize())
    towns = _words(rng, 400, lambda r: (r.choice(open_) + r.choice(TOWN_ENDS)).capitalize())
    companies = _words(rng, 300, lambda r: f"{(r.choice(open_) + r.choice(closed)).capitalize()} "
                                           f"{r.choice(COMPANY_ENDS)}")
    pairs = rng.sample(range(len(FIRST_NAMES) * len(surnames)), n)
    people = []
    for i, pair in enumerate(pairs):
        first, last = FIRST_NAMES[pair % len(FIRST_NAMES)], surnames[pair // len(FIRST_NAMES)]
        year = rng.randint(1930, 2004)
        people.append(Person(
            f"{first} {last}", first, rng.choice(towns), year, rng.choice(OCCUPATIONS), rng.choice(companies),
            rng.choice(INSTRUMENTS), rng.choice(COLORS), rng.choice(ANIMALS), rng.choice(PET_NAMES),
            rng.randint(2, 60), f"{rng.choice(PRIZE_WORDS)} Prize", rng.randint(year + 18, 2024),
            (i + rng.randrange(1, n)) % n if n > 1 else i,
        ))
    return people


def _section(p: Person, people: list[Person], rng: random.Random) -> str:
    """A heading (the person's name) and one paragraph of facts: one passage of under 90 words."""
    other = people[p.colleague]
    c = rng.choice
    facts = [
        c([f"{p.first} works as a {p.occupation} at {p.company}.",
           f"These days {p.first} is a {p.occupation} employed by {p.company}."]),
        c([f"In the evenings {p.first} plays the {p.instrument} in a small band.",
           f"{p.first} took up the {p.instrument} as a teenager and still practises daily."]),
        c([f"{p.first} shares a flat with a {p.color} {p.animal} called {p.pet}.",
           f"{p.first}'s {p.color} {p.animal}, {p.pet}, is well known in the neighbourhood."]),
        c([f"So far {p.first} has travelled to {p.countries} countries.",
           f"{p.first} has visited {p.countries} countries and keeps a map of each trip."]),
        f"In {p.prize_year} {p.first} won the {p.prize} for {c(PRIZE_FOR)}.",
        f"{p.first} often works with {other.name}, a {other.occupation} from {other.town}.",
    ]
    rng.shuffle(facts)
    born = c([f"{p.name} was born in {p.town} in {p.year}.",
              f"Born in {p.town} in {p.year}, {p.name} still visits the town every summer."])
    return f"{p.name}\n{born} {' '.join(facts)}"


def _fact(p: Person, rng: random.Random) -> Fact:
    kind = rng.randrange(7)
    question, answer = [
        (f"Where was {p.name} born?", p.town),
        (f"In which year was {p.name} born?", str(p.year)),
        (f"Which company does {p.name} work for?", p.company),
        (f"Which instrument does {p.name} play?", p.instrument),
        (f"What is the name of {p.name}'s {p.animal}?", p.pet),
        (f"How many countries has {p.name} visited?", str(p.countries)),
        (f"Which prize did {p.name} win in {p.prize_year}?", f"{p.prize}"),
    ][kind]
    return Fact(p.name, question, answer)


def synthetic_corpus(passages: int, questions: int, seed: int = 0, per_document: int = 50) -> SyntheticCorpus:
    """Invented people with random facts, ``per_document`` to a file; same seed, same corpus.

    First names and surnames recur across people, people mention colleagues (whose names then
    appear in other passages), and attribute values are shared, so neither retriever has it easy.
    """
    rng = random.Random(seed)
    people = _people(passages, rng)
    sections = [_section(p, people, rng) for p in people]
    documents = {
        f"people-{i // per_document:05d}.txt": "\n\n".join(sections[i : i + per_document]) + "\n"
        for i in range(0, len(sections), per_document)
    }
    asked = rng.sample(range(passages), min(questions, passages))
    return SyntheticCorpus(documents, [_fact(people[i], rng) for i in asked], passages)


def write_corpus(corpus: SyntheticCorpus, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in corpus.documents.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------- scale


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
    import bm25s, faiss  # noqa: E401, F401 - imported before the baseline: the index's own memory only

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


# ------------------------------------------------------------------------------------ report


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
    """Rows for one synthetic size; the targets are judged at ``TARGET_SIZE`` only."""
    b, q, n = r.build, r.query, r.label
    judged = r.size == TARGET_SIZE

    def target(key: str, fmt: str) -> str:
        return fmt.format(TARGETS[key]) if judged else ""

    def ok(passed: bool) -> bool | None:
        return passed if judged else None

    return [
        Row(f"{n}: build throughput", f"{r.throughput:.0f} passages/s",
            target("scale_build_pps", "≥ {:g} passages/s"), ok(r.throughput >= TARGETS["scale_build_pps"]),
            f"{b.passages} passages in {b.documents} files, {b.seconds:.1f} s ({b.stage_text}); "
            f"peak RSS {b.peak_mb:.0f} MB"),
        Row(f"{n}: index on disk", f"{b.index_bytes / 2**20:.1f} MB",
            detail=f"{r.disk_kb_per_passage:.2f} KB/passage; loads in {q.load_s:.2f} s"),
        Row(f"{n}: RSS with index loaded", f"{q.rss_mb:.0f} MB",
            detail=f"{r.kb_per_passage:.2f} KB/passage above the {q.models_mb:.0f} MB of the models"),
        Row(f"{n}: query p50", f"{ms(r.p50):.1f} ms", target("scale_p50_ms", "≤ {:g} ms"),
            ok(ms(r.p50) <= TARGETS["scale_p50_ms"]),
            f"p95 {ms(r.p95):.1f} ms; {q.questions} questions; retrieve p50 "
            f"{ms(percentile(q.stages['retrieve'], 50)):.1f} ms (dense {ms(percentile(q.dense_s, 50)):.1f}, "
            f"BM25 {ms(percentile(q.sparse_s, 50)):.1f})"),
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
        lines += ["", f"{r.build.passages} synthetic passages, p50 {ms(p50):.1f} ms: {shares}; "
                      f"BM25 {ms(percentile(q.sparse_s, 50)):.1f} ms and dense {ms(percentile(q.dense_s, 50)):.1f} ms "
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
        "Run `python -m qa.bench --help` for the options.",
    ]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m qa.bench", description=__doc__.split("\n\n")[0])
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
    p.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="report file (default BENCHMARKS.md)")
    p.add_argument("--workdir", type=Path, help="where to put corpora and indexes (default: a temporary folder)")
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
    command = " ".join(["python -m qa.bench", *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    watch = BackgroundWatch()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = Results()
    try:
        log("import qa (fresh processes)")
        results.imports = measure_import(max(args.runs, 3))
        run_article(results, args, workdir)
        for size in parse_sizes(args.sizes):
            log(f"scale {size}: build, then load and query, each in a fresh process")
            results.scale.append(measure_scale(size, workdir, args.scale_questions, args.rounds, args.seed))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(results, command, watch.stop())
    args.out.write_text(text, encoding="utf-8")
    print(table(rows(results)))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    from qa.bench import main as _main  # run as qa.bench, so spawned workers unpickle the same classes

    sys.exit(_main())
