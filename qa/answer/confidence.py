"""Calibrated confidence: turns reader and retrieval evidence into P(answer is right).

A small logistic regression over a few features of the best span, fitted on training-side
data by ``qa calibrate`` (held-out SQuAD *train* articles, never the dev sets) and stored as
JSON next to the reader. ``ask()`` answers when the probability reaches ``threshold`` and
abstains otherwise; ``Answer.score`` is that probability (or 1 - it when abstaining).

    >>> cal = Calibrator({"margin": 1.0}, bias=0.0, threshold=0.5)
    >>> round(cal.probability({"margin": 0.0}), 2)
    0.5
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.types import Hit, Span

FEATURES = ("margin", "span_score", "null_score", "dense", "top_rank", "agree", "length",
            "type_match", "type_mismatch", "q_coverage", "q_missing_names")
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "weights" / "calibration.json"


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def _stems(words: list[str]) -> list[str]:
    return _stemmer().stemWords([w.lower() for w in words])


def question_support(question: str, passage: str) -> tuple[float, float]:
    """(coverage, missing names): how much of the question the passage talks about.

    Coverage is the share of the question's content words (stemmed, stop words dropped) that
    the passage contains; missing names counts capitalised or numeric question words absent
    from it (capped at 3) — the usual sign that a passage is about something else.

    >>> question_support("When did Ann visit Rome?", "Ann visited Rome in 1990.")
    (1.0, 0.0)
    >>> question_support("When did Ann visit Paris?", "Ann visited Rome in 1990.")
    (0.6666666666666666, 1.0)
    """
    from bm25s.stopwords import STOPWORDS_EN_PLUS as STOP_WORDS  # loaded for retrieval anyway

    words = _WORD.findall(question)
    content = [(i, w) for i, w in enumerate(words) if w.lower() not in STOP_WORDS]
    if not content:
        return 1.0, 0.0
    have = set(_stems(_WORD.findall(passage)))
    stems = _stems([w for _, w in content])
    coverage = sum(st in have for st in stems) / len(stems)
    # a capital on the question's first word says nothing: only later ones mark names
    names = [st for (i, w), st in zip(content, stems)
             if (i > 0 and w[:1].isupper()) or any(c.isdigit() for c in w)]
    missing = min(3, sum(st not in have for st in names))
    return coverage, float(missing)


def span_features(
    question: str, best: Span, spans: list[Span], hits: list[Hit], type_probs: np.ndarray | None = None
) -> dict[str, float]:
    """Evidence for ``best``: reader margin over "no answer", retrieval similarity, agreement,
    whether the span fits the question's expected answer type (``type_probs``), and how much
    of the question its passage covers."""
    from qa.answer.answer_types import type_fit

    match, mismatch = type_fit(type_probs, best)
    coverage, missing = question_support(question, best.hit.passage.indexed_text)
    same = sum(1 for s in spans[:5] if s.text.strip().lower() == best.text.strip().lower())
    top_dense = max((h.dense_score for h in hits), default=0.0)
    return {
        "margin": best.score - best.null_score,
        "span_score": best.score,
        "null_score": best.null_score,
        "dense": top_dense,
        "top_rank": 1.0 if best.hit.rank == 0 else 0.0,
        "agree": float(same),
        "length": math.log1p(len(best.text.split())),
        "type_match": match,
        "type_mismatch": mismatch,
        "q_coverage": coverage,
        "q_missing_names": missing,
    }


@dataclass
class Calibrator:
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    fitted_on: str = ""

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> "Calibrator":
        path = Path(path)
        if not path.exists():
            return cls.uncalibrated()
        return cls(**json.loads(path.read_text()))

    @classmethod
    def uncalibrated(cls) -> "Calibrator":
        """Before ``qa calibrate`` has run: the reader's own margin, squashed."""
        return cls({"margin": 0.5}, bias=0.0, threshold=0.5, fitted_on="uncalibrated default")

    def save(self, path: str | Path = DEFAULT_PATH) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1) + "\n")


def fit_logistic(
    X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, l2: float = 1e-2, iters: int = 50
) -> tuple[np.ndarray, float]:
    """Weighted logistic regression by Newton's method on standardised features (tiny, no deps)."""
    sw = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Z @ w))
        grad = Z.T @ (sw * (p - y)) + l2 * np.r_[w[:-1], 0]
        H = (Z * (sw * p * (1 - p))[:, None]).T @ Z + l2 * np.eye(len(w))
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    coef = w[:-1] / sd
    bias = w[-1] - float((w[:-1] * mu / sd).sum())
    return coef, float(bias)
