"""Fit when to answer and when to abstain, on training-side data only.

    qa calibrate --data ../shared/data/squad-v1.1-train.json.gz --heldout runs/heldout-v2.json

Uses the SQuAD v1.1 *train* articles that reader training held out (the same deterministic
split as ``qa train``), never the dev sets, split again by article: half to fit, half to
measure. Every sampled question is put through ``QA.read`` itself, at every depth it reads
(the top passage alone, then 2, then 5 passages), in both modes:

* open (``QA.ask``: all held-out paragraphs one corpus, real retrieval):
  the question as asked (right if the best span's F1 >= 0.5); the question with every passage
  holding its answer taken from the hits (must abstain); an unanswerable variant of the
  question (:mod:`qa.training.unanswerable`: entity/number swap, antonym, negation) retrieved
  the same way (must abstain);
* reading (``QA.ask_text``: one given paragraph): its own paragraph; another paragraph of the
  same article; the unanswerable variant on its own paragraph.

A scikit-learn logistic regression per mode on :func:`qa.answer.confidence.span_features`
then gives P(answer is right), answerable and unanswerable cases weighing the same. The fit
is written to ``qa/weights/calibration.json`` with its figures on the measuring half (ECE,
share right among answers scored >= 0.8). ``--heldout FILE`` also writes the measuring half
as a SQuAD 2.0 file (its questions and their unanswerable variants), for
``qa eval FILE --plot reliability.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.confidence import DEFAULT_PATH, Calibrator, Logistic, span_features
from qa.metrics import f1_score, normalize_answer
from qa.squad import SquadArticle, load_squad
from qa.training.reader import TrainConfig, split_articles, unanswerable_variants
from qa.types import Hit

# features the fit uses (span_features computes one more for diagnosis: q_missing_names, the
# question's names its passage lacks; fitted, it refused right answers from passages that name
# their subject differently, "the project" for "the Harbour Bridge project")
FIT_FEATURES = ("margin", "span_prob", "null_prob", "runner_up", "top_rank", "agree", "depth",
                "length", "type_match", "type_mismatch")


@dataclass
class Case:
    """One reading of one question at one depth: the features of its best span and whether
    that span is a right answer (never, for a question the passages don't answer)."""

    mode: str  # "open" | "reading"
    kind: str  # "answerable" | "no-answer" | "other-paragraph" | "variant"
    half: str  # "fit" | "measure"
    depth: int
    features: dict[str, float]
    right: bool


def halves(held: list[SquadArticle]) -> dict[str, list[SquadArticle]]:
    """The held-out articles split in two by title order: one half fits, one measures."""
    ordered = sorted(held, key=lambda a: a.title)
    return {"fit": ordered[0::2], "measure": ordered[1::2]}


def collect(data: str, questions: int, seed: int, work: Path, progress=True) -> tuple[list[Case], dict]:
    """Cases from ``questions`` sampled questions of the held-out articles (both halves).

    Returns the cases and the measuring half as SQuAD 2.0 JSON (questions and variants)."""
    from tqdm import tqdm

    from qa.pipeline import QA

    cfg = TrainConfig(data=data)
    _, held = split_articles(load_squad(data), cfg.holdout_every)
    parts = halves(held)
    variants = unanswerable_variants(dataclasses.replace(cfg, unanswerable_rate=1.0), held, set())
    docs = work / "docs"
    items = []
    for half, arts in parts.items():
        for a_i, art in enumerate(arts):
            for p_i, para in enumerate(art.paragraphs):
                source = f"{half}{a_i:03d}/p{p_i:03d}.txt"
                (docs / source).parent.mkdir(parents=True, exist_ok=True)
                (docs / source).write_text(para.context, encoding="utf-8")
                for q in para.questions:
                    items.append((half, q, para.context, source, art))
    rng = random.Random(seed)
    items = rng.sample(items, min(questions, len(items)))
    qa = QA(docs_dir=docs, index_dir=work / "index")
    qa.index()
    top_k = qa.settings.top_k
    cases: list[Case] = []

    def walk(mode, kind, half, question, hits, golds, types):
        for depth, spans in qa.read_stages(question, hits):
            if spans:
                right = bool(golds) and max(f1_score(spans[0].text, g) for g in golds) >= 0.5
                feats = span_features(question, spans[0], spans, hits, types, depth)
                cases.append(Case(mode, kind, half, depth, feats, right))

    measure: dict[str, list[dict]] = {}
    for half, q, context, source, art in tqdm(items, desc="calibration questions", disable=not progress):
        golds = [a.text for a in q.answers]
        keys = {normalize_answer(g) for g in golds}
        hits, qv = qa.search(q.question, top_k + 10)
        types = qa.type_probs(qv)
        walk("open", "answerable", half, q.question, _rerank(hits[:top_k]), golds, types)
        without = [h for h in hits if h.passage.source != source
                   and not any(key and key in normalize_answer(h.passage.text) for key in keys)]
        walk("open", "no-answer", half, q.question, _rerank(without[:top_k]), [], types)
        own = qa.text_passage(context, source)
        own_hit = Hit(own, 1.0, 0.0, 0.0, 0)
        walk("reading", "answerable", half, q.question, [own_hit], golds, types)
        others = [p.context for p in art.paragraphs if not any(g in p.context for g in golds)]
        if others:
            other = qa.text_passage(rng.choice(others), "other")
            walk("reading", "other-paragraph", half, q.question, [Hit(other, 1.0, 0.0, 0.0, 0)], [], types)
        variant = variants.get(q.id)
        if variant:
            v_hits, v_vec = qa.search(variant, top_k)
            v_types = qa.type_probs(v_vec)
            walk("open", "variant", half, variant, v_hits, [], v_types)
            walk("reading", "variant", half, variant, [own_hit], [], v_types)
        if half == "measure":
            qas = measure.setdefault(context, [])
            qas.append({"id": q.id, "question": q.question, "is_impossible": False,
                        "answers": [{"text": a.text, "answer_start": a.start} for a in q.answers]})
            if variant:
                qas.append({"id": q.id + "-variant", "question": variant, "is_impossible": True, "answers": []})
    squad2 = {"version": "v2.0", "data": [{"title": "held-out SQuAD v1.1 train (measuring half)",
                                           "paragraphs": [{"context": c, "qas": qs} for c, qs in measure.items()]}]}
    return cases, squad2


def _rerank(hits: list[Hit]) -> list[Hit]:
    return [Hit(h.passage, h.score, h.dense_score, h.bm25_score, i) for i, h in enumerate(hits)]


def fit(cases: list[Case], target: str = "right", features=FIT_FEATURES, C: float = 1.0) -> Logistic:
    """Logistic regression (scikit-learn) on standardised features for P(``target``): "right"
    (the best span is a right answer) or "answerable" (the question is one the passages answer).
    Answerable and unanswerable cases weigh the same in total. Weights are for raw features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X = np.array([[c.features[f] for f in features] for c in cases])
    pos = np.array([c.kind == "answerable" for c in cases])
    y = (np.array([c.right for c in cases]) if target == "right" else pos).astype(int)
    w = np.where(pos, 0.5 / max(1, pos.sum()), 0.5 / max(1, (~pos).sum())) * len(cases)
    scaler = StandardScaler().fit(X)
    clf = LogisticRegression(C=C, max_iter=1000).fit(scaler.transform(X), y, sample_weight=w)
    coef = clf.coef_[0] / scaler.scale_
    bias = float(clf.intercept_[0] - (clf.coef_[0] * scaler.mean_ / scaler.scale_).sum())
    return Logistic(dict(zip(features, map(float, coef))), bias)


def measure(model: Logistic, answerable: Logistic, cases: list[Case], threshold: float, bins: int = 10) -> dict:
    """Figures of one mode's fit on cases it was not fitted on, answerable and unanswerable
    weighing the same: ECE of the reply's confidence (P(right) for an answer, 1 - P(answerable)
    for an abstention), share right among answers with P >= 0.8, abstention rates."""
    p = np.array([model.probability(c.features) for c in cases])
    p_ans = np.array([answerable.probability(c.features) for c in cases])
    right = np.array([c.right for c in cases])
    pos = np.array([c.kind == "answerable" for c in cases])
    w = np.where(pos, 0.5 / max(1, pos.sum()), 0.5 / max(1, (~pos).sum()))
    answered = p >= threshold
    conf = np.where(answered, p, 1 - p_ans)
    reply_right = np.where(answered, right, ~pos)  # an abstention is right for an unanswerable case
    edges = np.clip((conf * bins).astype(int), 0, bins - 1)
    ece = sum(abs((w[m] * conf[m]).sum() - (w[m] * reply_right[m]).sum()) for b in range(bins)
              if (m := edges == b).any()) / w.sum()
    sure = answered & (p >= 0.8)
    return {
        "cases": int(len(cases)),
        "ece": float(ece),
        "right_when_score_ge_0.8": float(right[sure].mean()) if sure.any() else float("nan"),
        "answers_scored_ge_0.8": int(sure.sum()),
        "answerable_abstained": float(1 - answered[pos].mean()) if pos.any() else float("nan"),
        "right_when_answered": float(right[answered & pos].mean()) if (answered & pos).any() else float("nan"),
        "unanswerable_abstained": float(1 - answered[~pos].mean()) if (~pos).any() else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="qa calibrate", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="SQuAD v1.1 training JSON (.json or .json.gz)")
    p.add_argument("--questions", type=int, default=1200, help="questions sampled from the held-out articles")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threshold", type=float, default=0.5,
                   help="answer when P(right) reaches this (default 0.5: answer when right is likelier than not)")
    p.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of the logistic fit")
    p.add_argument("--out", default=str(DEFAULT_PATH))
    p.add_argument("--cases", help="also write the gathered cases here (JSON Lines)")
    p.add_argument("--heldout", help="write the measuring half as SQuAD 2.0 JSON here")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cases, squad2 = collect(args.data, args.questions, args.seed, Path(tmp))
    if args.cases:
        with open(args.cases, "w") as fh:
            for c in cases:
                fh.write(json.dumps(dataclasses.asdict(c)) + "\n")
    if args.heldout:
        Path(args.heldout).write_text(json.dumps(squad2))
        print(f"wrote {args.heldout}")
    models, answerable, figures = {}, {}, {}
    for mode in ("open", "reading"):
        fit_cases = [c for c in cases if c.mode == mode and c.half == "fit"]
        models[mode] = fit(fit_cases, "right", C=args.C)
        answerable[mode] = fit(fit_cases, "answerable", C=args.C)
        figures[mode] = measure(models[mode], answerable[mode],
                                [c for c in cases if c.mode == mode and c.half == "measure"], args.threshold)
        print(f"{mode}: fitted on {len(fit_cases)} cases; measured: {json.dumps(figures[mode])}")
    cal = Calibrator(models, args.threshold, fitted_on=(
        f"{len(cases)} cases ({args.questions} questions, seed {args.seed}) from held-out SQuAD v1.1 "
        "train articles; figures on the measuring half"), figures=figures, answerable=answerable)
    cal.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
