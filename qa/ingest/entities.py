"""Named entities of passages, found when a passage is about to be read, not when it is indexed.

Only the answer-type check (``qa.answer.answer_types.type_fit``) uses entities, and only for the
few passages the reader reads, so spaCy's NER runs on those alone (and each passage once: an LRU
cache keyed by the stable passage id). Building the index no longer pays for NER on every passage.

    >>> tagger = EntityTagger()                                                # doctest: +SKIP
    >>> [p] = tagger.tag([Passage("x-1", "a.txt", 0, 19, "Ann met Bob in Oslo.")])  # doctest: +SKIP
    >>> [(e.label, "Ann met Bob in Oslo."[e.start:e.end]) for e in p.entities]  # doctest: +SKIP
    [('PERSON', 'Ann'), ('PERSON', 'Bob'), ('GPE', 'Oslo')]
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

from qa.types import Entity, Passage


def spacy_ner():
    """spaCy's entity recognizer alone (no tagger, parser or sentences): what ``EntityTagger`` runs."""
    from qa.models import load_ner

    return load_ner()


class LazyEntities(Sequence):
    """A passage's entities, found by the tagger the first time someone looks at them.

    Put in ``Passage.entities`` of retrieved passages: only those the reader's spans come from
    are ever looked at (by ``type_fit``), so NER runs on those alone.
    """

    __slots__ = ("_tagger", "_passage", "_found")

    def __init__(self, tagger: "EntityTagger", passage: Passage) -> None:
        self._tagger, self._passage, self._found = tagger, passage, None

    def _get(self) -> tuple[Entity, ...]:
        if self._found is None:
            self._found = self._tagger.entities([self._passage])[0]
        return self._found

    def __getitem__(self, i):
        return self._get()[i]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self):
        return iter(self._get())

    def __repr__(self) -> str:
        return repr(self._found) if self._found is not None else "LazyEntities(not looked at yet)"


class EntityTagger:
    """Fills ``Passage.entities`` (document offsets) for the passages given; thread-safe, cached."""

    def __init__(self, nlp_factory: Callable[[], object] = spacy_ner, cache_size: int = 4096) -> None:
        self._nlp_factory = nlp_factory
        self._nlp = None
        self._cache: OrderedDict[str, tuple[Entity, ...]] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()  # one spaCy call at a time: its models are not made for threads

    def nlp(self):
        with self._lock:
            if self._nlp is None:
                self._nlp = self._nlp_factory()
            return self._nlp

    def entities(self, passages: list[Passage]) -> list[tuple[Entity, ...]]:
        """Each passage's entities, offsets in its document; computed once per passage id."""
        with self._lock:
            found = {p.id: self._cache[p.id] for p in passages if p.id in self._cache}
            for pid in found:
                self._cache.move_to_end(pid)
        todo = [p for p in passages if p.id not in found]
        if todo:
            nlp = self.nlp()
            with self._run_lock:
                docs = list(nlp.pipe([p.text for p in todo]))
            with self._lock:
                for p, doc in zip(todo, docs):
                    ents = tuple(Entity(p.start + e.start_char, p.start + e.end_char, e.label_) for e in doc.ents)
                    found[p.id] = ents
                    self._cache[p.id] = ents
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return [found[p.id] for p in passages]

    def tag(self, passages: list[Passage]) -> list[Passage]:
        """The passages with ``entities`` filled in now."""
        return [replace(p, entities=e) for p, e in zip(passages, self.entities(passages))]

    def lazily(self, passages: list[Passage]) -> list[Passage]:
        """The passages with ``entities`` found on first use (:class:`LazyEntities`)."""
        return [replace(p, entities=LazyEntities(self, p)) for p in passages]

