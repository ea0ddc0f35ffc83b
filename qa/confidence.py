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

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.types import Hit, Span

FEATURES = ("margin", "span_score", "null_score", "dense", "top_rank", "agree", "length",
            "type_match", "type_mismatch")
DEFAULT_PATH = Path(__file__).parent / "weights" / "calibration.json"


def span_features(
    best: Span, spans: list[Span], hits: list[Hit], type_probs: np.ndarray | None = None
) -> dict[str, float]:
    """Evidence for ``best``: reader margin over "no answer", retrieval similarity, agreement,
    and whether the span fits the question's expected answer type (``type_probs``)."""
    from qa.answer_types import type_fit

    match, mismatch = type_fit(type_probs, best)
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
