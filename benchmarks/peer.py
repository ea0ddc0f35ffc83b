"""Our pipeline beside Haystack's extractive pipeline, with the same reader weights, in one run.

    python -m benchmarks.peer --harness ../shared/peer --peer-python $PEER/venv/bin/python \\
        --article source_docs/ARTICLE.txt [--questions tests/data/questions.jsonl] [--rounds 2]

The peer harness (``peer_haystack.py``: sentence splitter, MiniLM + BM25 retrievers joined by RRF,
``TransformersExtractiveReader``) runs in its own interpreter, where Haystack is installed; it is
not a dependency of ours. It is given our shipped reader upcast to float32 (fp16 weights run
several times slower in torch on a CPU) and, with ``--token-type-ids`` (the default here), the
segment ids the reader was trained with, so the comparison is of pipelines, not of readers.

Both sides are scored by the harness's own ``score.py`` over the same questions: F1 and EM over
the answerable ones (an abstention scores 0), evidence hit@1 (the top citation holds the gold
evidence), unanswerable questions abstained, answerable questions abstained, and the warm p50 of
one question. Rounds alternate ours, peer, ours, peer, so machine noise hits both alike; each
side's quietest round gives its p50.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import log, percentile

ROOT = Path(__file__).resolve().parent.parent
READER = ROOT / "qa" / "weights" / "reader"

UPCAST = """
import sys, shutil, pathlib, torch
from transformers import AutoModelForQuestionAnswering
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
AutoModelForQuestionAnswering.from_pretrained(src, dtype=torch.float32).save_pretrained(dst)
for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
    if (src / f).is_file():
        shutil.copy(src / f, dst / f)
"""


@dataclass
class Side:
    """One pipeline's figures over the question set (percentages; milliseconds)."""

    f1: float
    em: float
    evidence_hit: float
    unanswerable_abstained: str  # "a/b"
    answerable_abstained: str
    p50_ms: float

    def row(self, name: str) -> str:
        return (f"| {name} | {self.f1:.1f} | {self.em:.1f} | {self.evidence_hit:.1f} % | "
                f"{self.unanswerable_abstained} | {self.answerable_abstained} | {self.p50_ms:.1f} ms |")


def load_scorer(harness: Path):
    spec = importlib.util.spec_from_file_location("peer_score", harness / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Ours:
    """``QA.ask`` over a corpus of the one article, indexed once in ``tmp``."""

    def __init__(self, article: Path, tmp: Path) -> None:
        from qa.pipeline import QA

        docs = tmp / "docs"
        docs.mkdir()
        shutil.copy(article, docs / article.name)
        self.qa = QA(docs_dir=docs, index_dir=tmp / "index", database_url="")
        self.qa.index()

    def run(self, rows: list[dict], scorer) -> Side:
        self.qa.ask(rows[0]["question"])  # warm: models loaded, kernels initialised
        answers, ms = {}, []
        for r in rows:
            t0 = time.perf_counter()
            answers[r["id"]] = self.qa.ask(r["question"])
            ms.append(1000 * (time.perf_counter() - t0))
        ans = [r for r in rows if r["answerable"]]
        una = [r for r in rows if not r["answerable"]]

        def abstained(r) -> bool:
            return answers[r["id"]].answer is None

        def score(metric, r) -> float:
            return 0.0 if abstained(r) else metric(answers[r["id"]].answer, r["answers"])

        def hit(r) -> bool:
            cited = answers[r["id"]].citations
            return not abstained(r) and bool(cited) and scorer.evidence_hit(cited[0].text, r["evidence"])

        return Side(
            f1=100 * statistics.mean(score(scorer.f1, r) for r in ans),
            em=100 * statistics.mean(score(scorer.em, r) for r in ans),
            evidence_hit=100 * statistics.mean(hit(r) for r in ans),
            unanswerable_abstained=f"{sum(map(abstained, una))}/{len(una)}",
            answerable_abstained=f"{sum(map(abstained, ans))}/{len(ans)}",
            p50_ms=percentile(ms, 50),
        )


def peer(python: str, harness: Path, reader32: Path, questions: Path, article: Path, threads: int,
         token_type_ids: bool, out: Path) -> Side:
    cmd = [python, str(harness / "peer_haystack.py"), "--reader", str(reader32), "--questions", str(questions),
           "--article", str(article), "--threads", str(threads), "--json-out", str(out)]
    if token_type_ids:
        cmd.append("--token-type-ids")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"the peer harness failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    s = json.loads(out.read_text())["haystack"]["summary"]
    return Side(f1=s["F1"], em=s["EM"], evidence_hit=s["ev1"], unanswerable_abstained=f"{s['abst_una']}/{s['n_una']}",
                answerable_abstained=f"{s['false_abst']}/{s['n_ans']}", p50_ms=s["p50"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.peer", description=__doc__.split("\n\n")[0])
    p.add_argument("--harness", type=Path, required=True, help="folder with peer_haystack.py and score.py")
    p.add_argument("--peer-python", required=True, help="the interpreter where Haystack is installed")
    p.add_argument("--article", type=Path, required=True, help="the one plain-text document both pipelines index")
    p.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "questions.jsonl",
                   help="JSON Lines question set (id, question, answers, evidence, answerable)")
    p.add_argument("--reader", type=Path, default=READER, help="reader folder both pipelines use")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=2, help="torch threads of the peer")
    p.add_argument("--stock", action="store_true", help="stock Haystack: no segment ids for the reader")
    args = p.parse_args(argv)
    for path in (args.harness / "peer_haystack.py", args.harness / "score.py", args.article, args.questions,
                 args.reader / "config.json"):
        if not path.is_file():
            p.error(f"{path}: no such file")
    if shutil.which(args.peer_python) is None:
        p.error(f"{args.peer_python}: no such interpreter")
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    scorer = load_scorer(args.harness)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        reader32 = tmp / "reader-fp32"
        log(f"upcasting {args.reader} to float32 for the peer")
        subprocess.run([args.peer_python, "-c", UPCAST, str(args.reader), str(reader32)], check=True)
        pipeline = Ours(args.article, tmp)
        mine, theirs = [], []
        for r in range(args.rounds):
            log(f"round {r + 1}: ours")
            mine.append(pipeline.run(rows, scorer))
            log(f"round {r + 1}: peer")
            theirs.append(peer(args.peer_python, args.harness, reader32, args.questions, args.article,
                               args.threads, not args.stock, tmp / f"peer-{r}.json"))
    a = min(mine, key=lambda s: s.p50_ms)
    b = min(theirs, key=lambda s: s.p50_ms)
    print("| pipeline | F1 (answerable; abstaining scores 0) | EM | evidence hit@1 | unanswerable abstained "
          "| answerable abstained | warm p50 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(a.row("articleqa"))
    print(b.row("Haystack" + (" (stock)" if args.stock else ", segment ids passed")))
    print(f"F1 ours - peer: {a.f1 - b.f1:+.1f}; peer p50 / ours: {b.p50_ms / a.p50_ms:.1f}x "
          f"(best of {args.rounds} alternating rounds each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
