"""Expected answer type of a question (TREC coarse classes), and whether a span fits it.

A softmax regression over the question's MiniLM embedding (computed anyway for retrieval, so
this costs one 384×6 product), trained on the TREC question-classification data (Li & Roth
2002). Reproduce the shipped weights with::

    python -m qa.answer_types --train ../shared/data/trec/train_5500.label \
        --test ../shared/data/trec/TREC_10.label

    >>> clf = AnswerTypes.load()                                    # doctest: +SKIP
    >>> clf.predict(embedder.encode(["Who met Macron?"])[0])        # doctest: +SKIP
    'HUM'
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.types import Span

CLASSES = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
DEFAULT_PATH = Path(__file__).parent / "weights" / "answer_types.npz"
# spaCy entity labels that answer each class; DESC and ABBR expect no particular entity
EXPECTED = {
    "HUM": {"PERSON", "ORG", "NORP"},
    "LOC": {"GPE", "LOC", "FAC"},
    "NUM": {"CARDINAL", "DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"},
    "ENTY": {"PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "NORP", "ORG"},
}


@dataclass
class AnswerTypes:
    W: np.ndarray  # (dim, classes)
    b: np.ndarray  # (classes,)

    def probabilities(self, query_vec: np.ndarray) -> np.ndarray:
        z = query_vec @ self.W + self.b
        z = np.exp(z - z.max())
        return z / z.sum()

    def predict(self, query_vec: np.ndarray) -> str:
        return CLASSES[int(np.argmax(self.probabilities(query_vec)))]

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> "AnswerTypes | None":
        path = Path(path)
        if not path.exists():
            return None
        data = np.load(path)
        return cls(data["W"], data["b"])

    def save(self, path: str | Path = DEFAULT_PATH) -> None:
        np.savez(path, W=self.W.astype(np.float32), b=self.b.astype(np.float32))


def span_labels(span: Span) -> set[str]:
    """spaCy entity labels (stored in the index) that overlap the span."""
    return {e.label for e in span.hit.passage.entities if e.start < span.end and e.end > span.start}


def type_fit(probs: np.ndarray | None, span: Span) -> tuple[float, float]:
    """(match, mismatch): probability mass of expected types the span does / doesn't fit."""
    if probs is None:
        return 0.0, 0.0
    labels = span_labels(span)
    if any(ch.isdigit() for ch in span.text):
        labels = labels | {"CARDINAL"}
    match = mismatch = 0.0
    for cls, wanted in EXPECTED.items():
        p = float(probs[CLASSES.index(cls)])
        if labels & wanted:
            match += p
        elif cls != "ENTY":  # people, places and numbers are easy to recognise when present
            mismatch += p
    return match, mismatch


# ---------------------------------------------------------------------------- training


def read_trec(path: str | Path) -> list[tuple[str, str]]:
    """(coarse label, question) pairs; the TREC files are Latin-1."""
    rows = []
    for line in Path(path).read_text(encoding="latin-1").splitlines():
        if line.strip():
            label, question = line.split(" ", 1)
            rows.append((label.split(":", 1)[0], question.strip()))
    return rows


def fit_softmax(X: np.ndarray, y: np.ndarray, classes: int, l2: float = 1e-3, steps: int = 800,
                lr: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch gradient descent (deterministic)."""
    W = np.zeros((X.shape[1], classes))
    b = np.zeros(classes)
    Y = np.eye(classes)[y]
    for _ in range(steps):
        z = X @ W + b
        z = np.exp(z - z.max(1, keepdims=True))
        P = z / z.sum(1, keepdims=True)
        G = (P - Y) / len(X)
        W -= lr * (X.T @ G + l2 * W)
        b -= lr * G.sum(0)
    return W, b


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.answer_types", description="Train the answer-type classifier.")
    p.add_argument("--train", required=True, help="TREC train_5500.label")
    p.add_argument("--test", help="TREC_10.label, to report accuracy")
    p.add_argument("--out", default=str(DEFAULT_PATH))
    args = p.parse_args(argv)
    from qa.embedding import Embedder

    emb = Embedder()
    train = read_trec(args.train)
    X = emb.encode([q for _, q in train])
    y = np.array([CLASSES.index(c) for c, _ in train])
    W, b = fit_softmax(X, y, len(CLASSES))
    clf = AnswerTypes(W, b)
    report = {"train_accuracy": float(((X @ W + b).argmax(1) == y).mean()), "train_questions": len(y)}
    if args.test:
        test = read_trec(args.test)
        Xt = emb.encode([q for _, q in test])
        yt = np.array([CLASSES.index(c) for c, _ in test])
        report["test_accuracy"] = float(((Xt @ W + b).argmax(1) == yt).mean())
        report["test_questions"] = len(yt)
    clf.save(args.out)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
