"""Calibrated confidence: turns the reader's evidence into P(answer is right).

A logistic regression per reading mode — ``open`` (retrieved passages, ``QA.ask``) and
``reading`` (one given text, ``QA.ask_text``) — over features of the best span, fitted by
``qa calibrate`` on cases gathered through ``QA.read`` itself (held-out SQuAD *train*
articles, never the dev sets) and stored as JSON next to the reader. The reader's own
evidence comes first: its span and no-answer probabilities, the margin between them and the
gap to the runner-up. The fit uses no feature of how many words or names the question shares
with the passage (``q_missing_names`` is computed for diagnosis only), so a paraphrased
question is not taken for an unanswerable one.

``ask()`` answers when P(right) reaches ``threshold`` and abstains otherwise. ``Answer.score``
is then P(right), or, for an abstention, the probability that it is right: that the passages
read do not answer the question, from a second regression per mode (P(answerable)).

    >>> cal = Calibrator({"open": Logistic({"margin": 1.0}, bias=0.0)}, threshold=0.5)
    >>> round(cal.probability({"margin": 0.0}), 2), round(cal.probability({"margin": 2.0}, "reading"), 2)
    (0.5, 0.88)
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.types import Hit, Span

# every feature span_features computes; a fit may use a subset (its weights' keys)
FEATURES = ("margin", "span_prob", "null_prob", "runner_up", "top_rank", "agree", "depth", "length",
            "type_match", "type_mismatch", "q_missing_names")
MODES = ("open", "reading")
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
    question: str, best: Span, spans: list[Span], hits: list[Hit], type_probs: np.ndarray | None = None,
    depth: int | None = None,
) -> dict[str, float]:
    """Evidence for ``best`` after the reader read ``depth`` passages (default: all hits).

    The reader's margin of the span over "no answer", both as probabilities, the margin's lead
    over the best *different* answer (``runner_up``), how many of the top spans agree with it,
    whether it came from the top passage, whether it fits the question's expected answer type
    (``type_probs``), and how many names of the question its passage lacks."""
    from qa.answer.answer_types import type_fit
    from qa.metrics import normalize_answer

    match, mismatch = type_fit(type_probs, best)
    _, missing = question_support(question, best.hit.passage.indexed_text)
    key = normalize_answer(best.text)
    margin = best.score - best.null_score
    others = [s.score - s.null_score for s in spans if normalize_answer(s.text) != key]
    same = sum(1 for s in spans[:5] if normalize_answer(s.text) == key)
    return {
        "margin": margin,
        "span_prob": math.exp(min(0.0, best.log_prob)),
        "null_prob": math.exp(min(0.0, best.null_log_prob)),
        "runner_up": min(10.0, margin - max(others)) if others else 10.0,
        "top_rank": 1.0 if best.hit.rank == 0 else 0.0,
        "agree": float(same),
        "depth": math.log(depth if depth else max(1, len(hits))),
        "length": math.log1p(len(best.text.split())),
        "type_match": match,
        "type_mismatch": mismatch,
        "q_missing_names": missing,
    }


@dataclass
class Logistic:
    """P = sigmoid(bias + sum of weight * feature); features absent from ``weights`` are unused."""

    weights: dict[str, float]
    bias: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass
class Calibrator:
    """Per reading mode, a :class:`Logistic` for P(the best span is right) (``models``) and one
    for P(the passages answer the question at all) (``answerable``); and the P(right) at which
    ``ask()`` answers."""

    models: dict[str, Logistic]
    threshold: float = 0.5
    fitted_on: str = ""
    figures: dict = field(default_factory=dict)
    answerable: dict[str, Logistic] = field(default_factory=dict)

    @staticmethod
    def _pick(models: dict[str, Logistic], mode: str) -> Logistic | None:
        return models.get(mode) or models.get("open") or next(iter(models.values()), None)

    def probability(self, features: dict[str, float], mode: str = "open") -> float:
        """P(the best span is a right answer)."""
        return self._pick(self.models, mode).probability(features)

    def abstention_confidence(self, features: dict[str, float], mode: str = "open") -> float:
        """P(an abstention is right): the passages read do not answer the question."""
        model = self._pick(self.answerable, mode)
        if model is None:  # no answerability fit: the best span being wrong is all we know
            return 1.0 - self.probability(features, mode)
        return 1.0 - model.probability(features)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> "Calibrator":
        path = Path(path)
        if not path.exists():
            return cls.uncalibrated()
        data = json.loads(path.read_text())
        models = {m: Logistic(**v) for m, v in data.pop("models").items()}
        answerable = {m: Logistic(**v) for m, v in data.pop("answerable", {}).items()}
        return cls(models, answerable=answerable, **data)

    @classmethod
    def uncalibrated(cls) -> "Calibrator":
        """Before ``qa calibrate`` has run: the reader's own margin, squashed."""
        return cls({"open": Logistic({"margin": 0.5}, 0.0)}, threshold=0.5, fitted_on="uncalibrated default")

    def save(self, path: str | Path = DEFAULT_PATH) -> None:
        data = asdict(self)
        Path(path).write_text(json.dumps(data, indent=1) + "\n")
