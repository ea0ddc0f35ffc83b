"""Score the system on a question set: our JSON Lines format or SQuAD v1.1/v2.0 (plain or .gz).

    >>> report = evaluate("tests/data/questions.jsonl", QA())      # doctest: +SKIP
    >>> print(report.table())                                      # doctest: +SKIP

Modes for SQuAD: ``open`` makes every paragraph a document of one corpus (retriever and
reader together); ``reading`` asks each question against its own paragraph (reader alone).
JSON Lines questions are asked against the QA's own corpus.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.metrics import best_over_golds, normalize_answer
from qa.squad import is_squad, parse_squad, read_json


@dataclass
class Item:
    """One question to score."""

    id: str
    question: str
    answers: list[str]
    answerable: bool
    evidence: str | None = None  # JSON Lines: text the first citation should hold
    context: str | None = None  # SQuAD: the question's own paragraph
    source: str | None = None  # SQuAD open mode: the paragraph's document name
    split: str | None = None


@dataclass
class Result:
    id: str
    question: str
    prediction: str  # "" = abstained
    candidate: str
    score: float
    answers: list[str]
    answerable: bool
    exact: float
    f1: float
    evidence_hit: bool | None
    seconds: float
    qtype: str
    cited: str = ""


@dataclass
class Report:
    name: str
    mode: str
    results: list[Result] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        r = self.results
        if not r:
            return {"total": 0}
        has = [x for x in r if x.answerable]
        no = [x for x in r if not x.answerable]
        lat = np.array([x.seconds for x in r]) * 1000
        out: dict[str, float] = {
            "exact": 100 * np.mean([x.exact for x in r]),
            "f1": 100 * np.mean([x.f1 for x in r]),
            "total": len(r),
        }
        if has:
            out |= {
                "HasAns_exact": 100 * np.mean([x.exact for x in has]),
                "HasAns_f1": 100 * np.mean([x.f1 for x in has]),
                "HasAns_total": len(has),
                # the reader's best span, as if it never abstained (SQuAD v1.1 style)
                "HasAns_f1_no_abstain": 100 * np.mean([best_over_golds(x.candidate, x.answers)[1] for x in has]),
                "answerable_abstained_pct": 100 * np.mean([x.prediction == "" for x in has]),
            }
        if no:
            out |= {
                "NoAns_exact": 100 * np.mean([x.exact for x in no]),
                "NoAns_f1": 100 * np.mean([x.f1 for x in no]),
                "NoAns_total": len(no),
                "unanswerable_abstained_pct": 100 * np.mean([x.prediction == "" for x in no]),
            }
        ev = [x.evidence_hit for x in has if x.evidence_hit is not None]
        if ev:
            out["evidence_hit@1"] = 100 * np.mean(ev)
        out["ece"] = reliability(r)[3]
        sure = [x for x in r if x.prediction and x.score >= 0.8]
        if sure:  # does a high score mean a right answer?
            out["answers_scored_0.8+"] = len(sure)
            out["right_when_scored_0.8+_pct"] = 100 * np.mean([x.f1 >= 0.5 for x in sure])
        out |= {
            "abstained": int(sum(x.prediction == "" for x in r)),
            "latency_p50_ms": float(np.percentile(lat, 50)),
            "latency_p95_ms": float(np.percentile(lat, 95)),
            "latency_mean_ms": float(lat.mean()),
        }
        return out

    def table(self) -> str:
        f = self.figures()
        hit_name = "evidence hit@1" if self.mode == "corpus" else "paragraph hit@1"
        lines = [f"{self.name} ({self.mode} mode, {f['total']} questions)"]
        for key, value in f.items():
            label = hit_name if key == "evidence_hit@1" else key
            lines.append(f"  {label:<28} {value:8.2f}" if isinstance(value, float) else f"  {label:<28} {value:8d}")
        return "\n".join(lines)


def question_type(question: str) -> str:
    """Coarse type from the question word (who/what/when/where/why/how/which/how many...)."""
    q = question.lower()
    for label, pattern in (
        ("how many/much", r"\bhow (many|much)\b"),
        ("who", r"\b(who|whom|whose)\b"),
        ("when", r"\bwhen\b|\bwhat (year|date|day|time|month)\b"),
        ("where", r"\bwhere\b"),
        ("why", r"\bwhy\b"),
        ("how", r"\bhow\b"),
        ("which", r"\bwhich\b"),
        ("what", r"\bwhat\b"),
    ):
        if re.search(pattern, q):
            return label
    return "other"


# ----------------------------------------------------------------------- loading


def load_items(path: str | Path) -> tuple[str, list[Item]]:
    """("jsonl" | "squad", items) from a JSON Lines question set or a SQuAD file."""
    path = Path(path)
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl", list(_jsonl_items(path))
    data = read_json(path)
    if not is_squad(data):
        raise ValueError(f"{path} is neither JSON Lines (.jsonl) nor a SQuAD JSON file")
    items = []
    for a_i, art in enumerate(parse_squad(data)):
        for p_i, para in enumerate(art.paragraphs):
            source = f"{_slug(art.title) or f'article{a_i}'}/{p_i:03d}.txt"
            for q in para.questions:
                answers = [a.text for a in q.answers] if not q.is_impossible else []
                items.append(Item(q.id, q.question, answers, bool(answers), None, para.context, source))
    return "squad", items


def _jsonl_items(path: Path) -> Iterable[Item]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                yield Item(str(d["id"]), d["question"], list(d.get("answers") or []),
                           bool(d.get("answerable", bool(d.get("answers")))), d.get("evidence"),
                           split=d.get("split"))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{n}: not a question record ({exc})") from exc


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:80]


def sample(items: list[Item], limit: int | None, seed: int = 0) -> list[Item]:
    """A fixed sample of ``limit`` items (same seed, same sample), in file order."""
    if not limit or limit >= len(items):
        return items
    keep = sorted(random.Random(seed).sample(range(len(items)), limit))
    return [items[i] for i in keep]


# ------------------------------------------------------------------------ running


def evaluate(
    path: str | Path,
    qa,
    mode: str = "open",
    limit: int | None = None,
    split: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Ask every question and score the answers with SQuAD's official metrics."""
    kind, items = load_items(path)
    if split:
        items = [x for x in items if x.split == split]
    items = sample(items, limit)
    name = Path(path).name
    if kind == "jsonl":
        report = Report(name, "corpus")
        ask = lambda it: qa.ask(it.question)  # noqa: E731
    elif mode == "reading":
        report = Report(name, "reading")
        ask = lambda it: qa.ask_text(it.question, it.context, it.source)  # noqa: E731
    elif mode == "open":
        report = Report(name, "open")
        qa = _open_corpus_qa(qa, path, items)
        ask = lambda it: qa.ask(it.question)  # noqa: E731
    else:
        raise ValueError(f"unknown mode {mode!r}: use 'open' or 'reading'")
    for n, it in enumerate(items):
        t0 = time.perf_counter()
        ans = ask(it)
        seconds = time.perf_counter() - t0
        report.results.append(_score(it, ans, seconds))
        if progress:
            progress(n + 1, len(items))
    return report


def _score(it: Item, ans, seconds: float) -> Result:
    pred = ans.answer or ""
    exact, f1 = best_over_golds(pred, it.answers)
    cited = ans.citations[0] if ans.citations else None
    hit: bool | None = None
    if it.answerable and cited is not None:
        if it.evidence:
            hit = _norm_ws(it.evidence) in _norm_ws(cited.text) or _overlap(it.evidence, cited.text) >= 0.8
        elif it.source:
            hit = cited.source == it.source
    elif it.answerable:
        hit = False
    return Result(it.id, it.question, pred, ans.candidate or "", ans.score, it.answers, it.answerable,
                  exact, f1, hit, seconds, question_type(it.question), cited.text if cited else "")


def _norm_ws(s: str) -> str:
    return " ".join(s.split())


def _overlap(evidence: str, passage: str) -> float:
    """Share of the evidence's words found in the passage (evidence spanning two passages)."""
    ev = normalize_answer(evidence).split()
    words = set(normalize_answer(passage).split())
    return sum(w in words for w in ev) / max(1, len(ev))


def _open_corpus_qa(qa, path: str | Path, items: list[Item]):
    """A QA over a corpus made of every paragraph of the SQuAD file (one file each)."""
    import hashlib

    from qa.pipeline import QA

    _, all_items = load_items(path)
    paragraphs = {it.source: it.context for it in all_items}
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"qa-eval-{digest}"
    docs = root / "docs"
    for source, text in paragraphs.items():
        f = docs / source
        if not f.exists():
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text, encoding="utf-8")
    settings = qa.settings.with_(database_schema=f"qa_eval_{digest}")  # with a database: its own schema
    return QA(docs_dir=docs, index_dir=qa.settings.index_dir / f"eval-{digest}",
              settings=settings, reader=qa.reader, calibrator=qa.calibrator)


def write_results(report: Report, path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in report.results:
            fh.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")


def reliability(results: list[Result], bins: int = 10) -> tuple[list[float], list[float], list[int], float]:
    """Reliability of ``Answer.score`` as the confidence that the reply is right (an answer with
    F1 >= 0.5, or an abstention on an unanswerable question): per confidence bin the mean
    confidence, the share right and the count, and the expected calibration error (ECE).

    >>> r = [Result("a", "q", "x", "x", 0.9, ["x"], True, 1, 1, None, 0, "what")] * 9
    >>> r += [Result("b", "q", "y", "y", 0.9, ["x"], True, 0, 0, None, 0, "what")]
    >>> round(reliability(r)[3], 3)
    0.0
    """
    if not results:
        return [], [], [], float("nan")
    conf = np.array([r.score for r in results])
    right = np.array([(r.f1 >= 0.5) if r.prediction else (not r.answerable) for r in results], dtype=float)
    which = np.clip((conf * bins).astype(int), 0, bins - 1)
    xs, ys, ns = [], [], []
    for b in range(bins):
        m = which == b
        if m.any():
            xs.append(float(conf[m].mean())); ys.append(float(right[m].mean())); ns.append(int(m.sum()))
    ece = sum(n * abs(x - y) for x, y, n in zip(xs, ys, ns)) / max(1, sum(ns))
    return xs, ys, ns, float(ece)


def plot(report: Report, path: str | Path, bins: int = 10) -> None:
    """Reliability diagram (confidence vs accuracy) and accuracy per question type, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = report.results
    xs, ys, ns, ece = reliability(res, bins)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax1.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax1.plot(xs, ys, "o-", label="articleqa")
    for x, y, n in zip(xs, ys, ns):
        ax1.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=8)
    ax1.set(xlabel="confidence (Answer.score)", ylabel="share right", xlim=(0, 1), ylim=(0, 1),
            title=f"Reliability ({report.name}, ECE {ece:.3f})")
    ax1.legend(loc="upper left")
    types = sorted({r.qtype for r in res})
    acc = [100 * np.mean([r.f1 for r in res if r.qtype == t]) for t in types]
    cnt = [sum(r.qtype == t for r in res) for t in types]
    ax2.bar(types, acc, color="#4c72b0")
    for i, (a, c) in enumerate(zip(acc, cnt)):
        ax2.text(i, a + 1, f"n={c}", ha="center", fontsize=8)
    ax2.set(ylabel="F1", ylim=(0, 105), title="F1 per question type")
    ax2.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
