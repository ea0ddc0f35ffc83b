"""Fit the answer-type classifier (:mod:`qa.answer.answer_types`) on TREC question types.

    python -m qa.training.answer_types --train ../shared/data/trec/train_5500.label \
        --test ../shared/data/trec/TREC_10.label

A multinomial logistic regression (scikit-learn's, well-tested and deterministic with lbfgs)
over the questions' MiniLM embeddings; the weights are written as ``answer_types.npz``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from qa.answer.answer_types import CLASSES, DEFAULT_PATH, AnswerTypes


def read_trec(path: str | Path) -> list[tuple[str, str]]:
    """(coarse label, question) pairs; the TREC files are Latin-1."""
    rows = []
    for line in Path(path).read_text(encoding="latin-1").splitlines():
        if line.strip():
            label, question = line.split(" ", 1)
            rows.append((label.split(":", 1)[0], question.strip()))
    return rows


def fit(X: np.ndarray, y: np.ndarray, C: float = 10.0) -> AnswerTypes:
    """Softmax regression over embeddings ``X`` with class indices ``y`` (into CLASSES)."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=2000)
    clf.fit(X, y)
    W = np.zeros((X.shape[1], len(CLASSES)))
    b = np.full(len(CLASSES), -30.0)  # a class absent from the data is never predicted
    W[:, clf.classes_] = clf.coef_.T
    b[clf.classes_] = clf.intercept_
    return AnswerTypes(W, b)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.training.answer_types",
                                description="Train the answer-type classifier.")
    p.add_argument("--train", required=True, help="TREC train_5500.label")
    p.add_argument("--test", help="TREC_10.label, to report accuracy")
    p.add_argument("--out", default=str(DEFAULT_PATH))
    args = p.parse_args(argv)
    from qa.embedding import Embedder

    emb = Embedder()
    train = read_trec(args.train)
    X = emb.encode([q for _, q in train])
    y = np.array([CLASSES.index(c) for c, _ in train])
    clf = fit(X, y)
    report = {"train_accuracy": float(((X @ clf.W + clf.b).argmax(1) == y).mean()), "train_questions": len(y)}
    if args.test:
        test = read_trec(args.test)
        Xt = emb.encode([q for _, q in test])
        yt = np.array([CLASSES.index(c) for c, _ in test])
        report["test_accuracy"] = float(((Xt @ clf.W + clf.b).argmax(1) == yt).mean())
        report["test_questions"] = len(yt)
    clf.save(args.out)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
