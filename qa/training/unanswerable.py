"""Unanswerable questions made from answerable ones, the way SQuAD 2.0's were written.

SQuAD 2.0's crowd workers wrote questions that its paragraphs do not answer by changing an
answerable question slightly (Rajpurkar, Jia & Liang, 2018, table 3, by frequency): swapping an
entity (21 %), an antonym (20 %), mutual exclusion (15 %), negation (9 %), numbers and impossible
conditions. Paired with the *original* paragraph — the window that holds the old answer — such
a question teaches the reader "almost answered is not answered", which questions borrowed
from other paragraphs (easy to spot by word overlap) do not.

Four of those edits are made here, for any English text:

* **entity swap** — a named entity of the question becomes another of the same type from the
  same article that the paragraph never mentions;
* **number swap** — a number becomes another the paragraph does not contain;
* **antonym** — a comparative or directional word becomes its opposite (``first`` → ``last``);
* **negation** — the question's auxiliary verb is negated (``was`` → ``was not``).

    >>> import random
    >>> swap_antonym("What was the first city they took?", random.Random(0))
    'What was the last city they took?'
    >>> negate("Who was elected in 1990?")
    'Who was not elected in 1990?'
    >>> swap_number("When was it built, in 1888?", "It was built in 1888.", random.Random(0)) is None
    False
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Generic English opposites (no corpus-specific words): each pair swaps both ways.
ANTONYMS = (
    ("first", "last"), ("earliest", "latest"), ("largest", "smallest"), ("biggest", "smallest"),
    ("most", "least"), ("highest", "lowest"), ("longest", "shortest"), ("oldest", "youngest"),
    ("before", "after"), ("increase", "decrease"), ("increased", "decreased"), ("more", "less"),
    ("maximum", "minimum"), ("best", "worst"), ("better", "worse"), ("north", "south"),
    ("east", "west"), ("northern", "southern"), ("eastern", "western"), ("win", "lose"),
    ("won", "lost"), ("wins", "loses"), ("accept", "reject"), ("accepted", "rejected"),
    ("success", "failure"), ("successful", "unsuccessful"), ("strong", "weak"), ("early", "late"),
    ("major", "minor"), ("upper", "lower"), ("inside", "outside"), ("above", "below"),
    ("start", "end"), ("started", "ended"), ("begin", "end"), ("began", "ended"),
    ("open", "close"), ("opened", "closed"), ("rise", "fall"), ("rose", "fell"),
    ("gain", "loss"), ("positive", "negative"), ("legal", "illegal"), ("private", "public"),
    ("ancient", "modern"), ("common", "rare"), ("allowed", "banned"), ("support", "oppose"),
    ("supported", "opposed"), ("higher", "lower"), ("larger", "smaller"), ("greater", "smaller"),
)
_OPPOSITE = {a: b for a, b in ANTONYMS} | {b: a for a, b in ANTONYMS}
_AUX = re.compile(
    r"\b(is|was|are|were|did|does|do|can|could|will|would|has|have|had|should|must)\b(?! not\b)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")
# entity labels worth swapping: names of things, not numbers (those are swapped as numbers)
SWAP_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART",
                         "LAW", "PRODUCT", "LANGUAGE"})
KINDS = ("entity", "number", "antonym", "negation")
# how often each edit is tried first: about SQuAD 2.0's proportions of the four
KIND_WEIGHTS = (0.45, 0.1, 0.3, 0.15)


@dataclass(frozen=True)
class Unanswerable:
    """A question made unanswerable for its paragraph, and which edit made it so."""

    question: str
    kind: str


def swap_antonym(question: str, rng: random.Random) -> str | None:
    """``question`` with one comparative/directional word turned into its opposite."""
    words = [m for m in re.finditer(r"[A-Za-z]+", question) if m.group().lower() in _OPPOSITE]
    if not words:
        return None
    m = rng.choice(words)
    new = _OPPOSITE[m.group().lower()]
    if m.group()[0].isupper():
        new = new.capitalize()
    return question[: m.start()] + new + question[m.end():]


def negate(question: str) -> str | None:
    """``question`` with its first auxiliary verb negated, or None when it has none."""
    m = _AUX.search(question)
    if not m:
        return None
    return question[: m.end()] + " not" + question[m.end():]


def swap_number(question: str, context: str, rng: random.Random) -> str | None:
    """``question`` with one number replaced by a nearby one that ``context`` does not contain."""
    found = list(_NUMBER.finditer(question))
    if not found:
        return None
    m = rng.choice(found)
    raw = m.group().replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        return None
    for _ in range(10):
        if "." in raw:
            new = f"{value * rng.choice((0.5, 1.5, 2, 3)):.{len(raw.split('.')[1])}f}"
        elif 1000 <= value <= 2100:  # a year: a few years off
            new = str(int(value) + rng.choice((-1, 1)) * rng.randint(2, 30))
        else:
            new = str(max(0, int(value) + rng.choice((-1, 1)) * rng.randint(1, max(2, int(value) // 2 + 2))))
        if new != raw and new not in context:
            return question[: m.start()] + new + question[m.end():]
    return None


def swap_entity(question: str, entities: list[tuple[int, int, str]], pool: dict[str, list[str]],
                context: str, rng: random.Random) -> str | None:
    """``question`` with one named entity (char span, label) replaced by another of the same
    label from ``pool`` that neither the question nor ``context`` mentions."""
    ents = [e for e in entities if e[2] in SWAP_LABELS]
    rng.shuffle(ents)
    low_ctx, low_q = context.lower(), question.lower()
    for start, end, label in ents:
        choices = [c for c in pool.get(label, ()) if c.lower() not in low_ctx and c.lower() not in low_q]
        if choices:
            return question[:start] + rng.choice(choices) + question[end:]
    return None


class UnanswerableMaker:
    """Makes unanswerable variants of questions, one article at a time.

    ``entities`` holds, per question, its named entities as (start, end, label) — from spaCy's
    NER (``question_entities``). The entity pool of an article is what its questions name.

        >>> maker = UnanswerableMaker(seed=0)
        >>> ents = [[(8, 12, "PERSON")], [(8, 11, "PERSON")]]
        >>> out = maker.article(["Why did Anna go home?", "Why did Bob stay?"],
        ...                     ["Anna went home.", "Bob stayed."], ents)
        >>> out[0].question, out[0].kind
        ('Why did Bob go home?', 'entity')
    """

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)

    def article(self, questions: list[str], contexts: list[str],
                entities: list[list[tuple[int, int, str]]]) -> list[Unanswerable | None]:
        pool: dict[str, set[str]] = defaultdict(set)
        for q, ents in zip(questions, entities):
            for start, end, label in ents:
                pool[label].add(q[start:end])
        ordered = {k: sorted(v) for k, v in pool.items()}
        return [self.one(q, c, e, ordered) for q, c, e in zip(questions, contexts, entities)]

    def one(self, question: str, context: str, entities, pool) -> Unanswerable | None:
        """One variant of ``question`` for ``context``: the first edit that applies, in an order
        drawn by :data:`KIND_WEIGHTS`; None when no edit applies."""
        order = list(KINDS)
        weights = list(KIND_WEIGHTS)
        tried = []
        while order:
            k = self.rng.choices(range(len(order)), weights)[0]
            tried.append(order.pop(k))
            weights.pop(k)
        for kind in tried:
            if kind == "entity":
                new = swap_entity(question, entities, pool, context, self.rng)
            elif kind == "number":
                new = swap_number(question, context, self.rng)
            elif kind == "antonym":
                new = swap_antonym(question, self.rng)
            else:
                new = negate(question)
            if new and new != question:
                return Unanswerable(new, kind)
        return None


def question_entities(nlp, questions: Iterable[str], batch_size: int = 512) -> list[list[tuple[int, int, str]]]:
    """spaCy's named entities of each question, as (start, end, label) character spans."""
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
            for doc in nlp.pipe(questions, batch_size=batch_size)]
