"""Expected answer type of a question (TREC coarse classes), and whether a span fits it.

A softmax regression over the question's MiniLM embedding (computed anyway for retrieval, so
this costs one 384×6 product), trained on the TREC question-classification data (Li & Roth
2002) by :mod:`qa.training.answer_types`. Reproduce the shipped weights with::

    python -m qa.training.answer_types --train ../shared/data/trec/train_5500.label \
        --test ../shared/data/trec/TREC_10.label

    >>> clf = AnswerTypes.load()                                    # doctest: +SKIP
    >>> clf.predict(embedder.encode(["Who met Macron?"])[0])        # doctest: +SKIP
    'HUM'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.types import Span

CLASSES = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "weights" / "answer_types.npz"
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
