"""SQuAD's official answer metrics (exact match and token F1), as in the v1.1/v2.0 scripts.

    >>> round(f1_score("the Eiffel Tower", "Eiffel Tower in Paris"), 3)
    0.667
    >>> exact_match("The  Eiffel tower.", "eiffel Tower")
    1.0
"""

from __future__ import annotations

import collections
import re
import string

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


def normalize_answer(s: str) -> str:
    """Lower-case, drop punctuation and articles, squeeze whitespace (official recipe)."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    pred = normalize_answer(prediction).split()
    ref = normalize_answer(gold).split()
    if not pred or not ref:
        # SQuAD 2.0: an empty answer scores 1 only against an empty reference
        return float(pred == ref)
    common = collections.Counter(pred) & collections.Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred)
    recall = same / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_over_golds(prediction: str, golds: list[str]) -> tuple[float, float]:
    """(exact, f1) of a prediction against its best-matching reference.

    With no references (an unanswerable question) the right prediction is "" (abstain).
    """
    if not golds:
        golds = [""]
    return (
        max(exact_match(prediction, g) for g in golds),
        max(f1_score(prediction, g) for g in golds),
    )
