"""Fit when to answer and when to abstain, on training-side data only.

    python -m qa.calibrate --data ../shared/data/squad-v1.1-train.json.gz

Uses the SQuAD v1.1 *train* articles that reader training held out (the same deterministic
split as ``qa.train``), never the dev sets. Every sampled question is asked three ways, through
the real retriever and reader:

* open, with its paragraph in the corpus (answerable: right if the span's F1 >= 0.5);
* open, with every paragraph holding the answer removed from the hits (must abstain);
* against one other paragraph of the same article, as in reading mode (must abstain).

A logistic regression on :func:`qa.answer.confidence.span_features` then gives P(answer is right);
the system answers when it is at least the threshold. The fit is written to
``qa/weights/calibration.json`` with the figures it reached.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

from qa.answer.confidence import DEFAULT_PATH, FEATURES, Calibrator, fit_logistic, span_features
from qa.metrics import f1_score, normalize_answer
from qa.squad import load_squad
from qa.training.reader import TrainConfig, split_articles
from qa.types import Hit


def collect(data: str, questions: int, seed: int, work: Path):
    """Feature rows and labels (1 = the best span is a right answer) from held-out articles."""
    from tqdm import tqdm

    from qa.pipeline import QA

    _, held = split_articles(load_squad(data), TrainConfig(data=data).holdout_every)
    docs = work / "docs"
    items = []
    for a_i, art in enumerate(held):
        for p_i, para in enumerate(art.paragraphs):
            source = f"a{a_i:03d}/p{p_i:03d}.txt"
            (docs / source).parent.mkdir(parents=True, exist_ok=True)
            (docs / source).write_text(para.context, encoding="utf-8")
            for q in para.questions:
                items.append((q, para.context, source, art))
    rng = random.Random(seed)
    items = rng.sample(items, min(questions, len(items)))
    qa = QA(docs_dir=docs, index_dir=work / "index")
    qa.index()
    retriever = qa._ready()
    reader, s = qa.reader, qa.settings
    rows, labels, kinds = [], [], []

    def add(question, hits, golds, kind, type_probs):
        """One case per reading depth ask() uses: the first passages, then the wider look."""
        first = reader.read(question, hits[: s.read_passages])
        more = reader.read(question, hits[s.read_passages : s.read_more]) if len(hits) > s.read_passages else []
        wide = sorted(first + more, key=lambda x: x.score - x.null_score, reverse=True)
        for spans in (first, wide) if more else (first,):
            if not spans:
                continue
            feats = span_features(question, spans[0], spans, hits, type_probs)
            right = bool(golds) and max(f1_score(spans[0].text, g) for g in golds) >= 0.5
            rows.append([feats[f] for f in FEATURES])
            labels.append(float(right))
            kinds.append(kind)

    for q, context, source, art in tqdm(items, desc="calibration questions"):
        golds = [a.text for a in q.answers]
        qv = qa.embedder.encode([q.question])[0]
        types = qa._type_probs(qv)
        hits = retriever.retrieve(q.question, top_k=qa.settings.top_k + 10, query_vec=qv)
        add(q.question, _rerank(hits[: qa.settings.top_k]), golds, "open", types)
        keys = {normalize_answer(g) for g in golds}
        without = [h for h in hits if h.passage.source != source
                   and not any(key and key in normalize_answer(h.passage.text) for key in keys)]
        add(q.question, _rerank(without[: qa.settings.top_k]), [], "open-no-answer", types)
        others = [p.context for p in art.paragraphs if not any(g in p.context for g in golds)]
        if others:
            other = rng.choice(others)
            ov = qa.embedder.encode([other])[0]
            hit = Hit(qa.text_passage(other, "other"), 1.0, float(qv @ ov), 0.0, 0)
            add(q.question, [hit], [], "reading-no-answer", types)
    return np.array(rows), np.array(labels), kinds


def _rerank(hits: list[Hit]) -> list[Hit]:
    return [Hit(h.passage, h.score, h.dense_score, h.bm25_score, i) for i, h in enumerate(hits)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="qa calibrate", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="SQuAD v1.1 training JSON (.json or .json.gz)")
    p.add_argument("--questions", type=int, default=1200)
    p.add_argument("--seed", type=int, default=7)
    # The logistic fit weighs answerable and unanswerable cases equally; in use most questions
    # are answerable, so the operating point is lower. 0.2 was chosen on the dev split of our
    # article question set (tests/data/questions.jsonl, never its test split or SQuAD's dev sets).
    p.add_argument("--threshold", type=float, default=0.2,
                   help="answer when P(right) reaches this (default 0.2)")
    p.add_argument("--out", default=str(DEFAULT_PATH))
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        X, y, kinds = collect(args.data, args.questions, args.seed, Path(tmp))
    # answerable and unanswerable cases weigh the same in total, whatever their counts
    pos_kind = np.array([k == "open" for k in kinds])
    weights = np.where(pos_kind, 0.5 / max(1, pos_kind.sum()), 0.5 / max(1, (~pos_kind).sum())) * len(y)
    coef, bias = fit_logistic(X, y, weights)
    cal = Calibrator(dict(zip(FEATURES, map(float, coef))), bias, args.threshold,
                     fitted_on=f"{len(y)} cases from held-out SQuAD v1.1 train articles, seed {args.seed}")
    probs = np.array([cal.probability(dict(zip(FEATURES, row))) for row in X])
    answered = probs >= cal.threshold
    print(f"cases: {len(y)} (answerable {pos_kind.sum()}, right {int(y.sum())})")
    print(f"answerable: answered {answered[pos_kind].mean():.3f}, right when answered "
          f"{y[pos_kind & answered].mean() if (pos_kind & answered).any() else 0:.3f}")
    for kind in ("open-no-answer", "reading-no-answer"):
        m = np.array([k == kind for k in kinds])
        print(f"{kind}: abstained {1 - answered[m].mean():.3f}")
    cal.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
