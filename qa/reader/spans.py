"""Decode answer spans from a span model's start/end logits (pure numpy, no torch).

Shared by the reader at question time and by training-time validation, so both
pick spans the same way.

    >>> import numpy as np
    >>> start = np.array([0.0, 5.0, 1.0, 0.0]); end = np.array([0.0, 1.0, 4.0, 0.0])
    >>> best_spans(start, end, context_mask=np.array([0, 1, 1, 1], bool), top_k=1)[0][:2]
    (1, 2)
"""

from __future__ import annotations

import numpy as np


def best_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    context_mask: np.ndarray,
    max_answer_tokens: int = 30,
    top_k: int = 5,
) -> list[tuple[int, int, float]]:
    """Return up to ``top_k`` spans ``(start, end, score)`` with score = start + end logit.

    Only tokens where ``context_mask`` is true may begin or end a span, ``end >= start``
    and the span is at most ``max_answer_tokens`` long. Best first.
    """
    idx = np.flatnonzero(context_mask)
    if idx.size == 0:
        return []
    s = start_logits[idx]
    e = end_logits[idx]
    # scores[i, j] = s[i] + e[j] for token i starting and token j ending the span
    scores = s[:, None] + e[None, :]
    pos = idx[:, None], idx[None, :]
    length = pos[1] - pos[0]
    valid = (length >= 0) & (length < max_answer_tokens)
    scores = np.where(valid, scores, -np.inf)
    flat = scores.ravel()
    k = min(top_k, int(np.isfinite(flat).sum()))
    if k == 0:
        return []
    top = np.argpartition(-flat, k - 1)[:k]
    top = top[np.argsort(-flat[top])]
    n = idx.size
    return [(int(idx[t // n]), int(idx[t % n]), float(flat[t])) for t in top]


def null_score(start_logits: np.ndarray, end_logits: np.ndarray, cls_index: int = 0) -> float:
    """Score of the "no answer here" prediction: both pointers on the [CLS] token."""
    return float(start_logits[cls_index] + end_logits[cls_index])


def log_partition(start_logits: np.ndarray, end_logits: np.ndarray) -> float:
    """log of the softmax normaliser of (start, end) pairs: ``score - log_partition`` is a
    span's log-probability under the model's two independent pointer distributions.

    >>> round(log_partition(np.zeros(2), np.zeros(2)), 4)   # 4 equally likely pairs
    1.3863
    """
    def lse(x: np.ndarray) -> float:
        m = float(x.max())
        return m + float(np.log(np.exp(x - m).sum()))

    return lse(start_logits) + lse(end_logits)
