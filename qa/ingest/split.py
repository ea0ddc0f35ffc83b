"""Documents → passages: runs of whole sentences with exact offsets, headings attached.

    >>> from qa.ingest.split import PassageSplitter, regex_sentences
    >>> from qa.types import Document
    >>> doc = Document("a.txt", "Ann met Bob. Bob left.")
    >>> p = PassageSplitter(sentences=regex_sentences).split([doc])[0]
    >>> doc.text[p.start:p.end] == p.text
    True
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from qa.types import Document, Entity, Passage

_SENTENCE_END = tuple('.!?…"”’\')')
_MD_HEADING = re.compile(r"^#{1,6}\s")


@dataclass(frozen=True)
class Block:
    """One non-empty line of a document (offsets exclude surrounding whitespace)."""

    start: int
    end: int
    is_heading: bool


def is_heading(line: str) -> bool:
    """A short line that does not end like a sentence, or ends with a colon, or is ``# Markdown``."""
    line = line.strip()
    if _MD_HEADING.match(line):
        return True
    words = len(line.split())
    if line.endswith(":"):
        return words <= 8
    return words <= 14 and not line.endswith(_SENTENCE_END)


def blocks_of(text: str, headings: tuple[tuple[int, int], ...] | None = None) -> list[Block]:
    """The lines of ``text``; a heading is one of ``headings`` (ranges from a converter that
    knows them: HTML, Word) or, when there are none, a line that looks like one.

    >>> [b.is_heading for b in blocks_of("Costs\\nThey rose.\\nShort line", headings=((0, 5),))]
    [True, False, False]
    """
    known = None if headings is None else {start for start, _ in headings}
    blocks = []
    for m in re.finditer(r"[^\n]+", text):
        stripped = m.group().strip()
        if not stripped:
            continue
        lead = len(m.group()) - len(m.group().lstrip())
        start = m.start() + lead
        heading = is_heading(stripped) if known is None else start in known
        blocks.append(Block(start, start + len(stripped), heading))
    return blocks


def word_chunks(text: str, start: int, end: int, words: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long sentence into runs of ``words`` words (offsets kept)."""
    spans = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    for i in range(0, len(spans), words):
        part = spans[i : i + words]
        yield start + part[0][0], start + part[-1][1]


SentenceFn = Callable[[list[str]], Iterable[tuple[list[tuple[int, int]], list[Entity]]]]


def spacy_sentences(nlp, batch_size: int = 64, max_chars: int = 100_000) -> SentenceFn:
    """Adapter: spaCy pipeline → per text, its sentence spans and entities (offsets in the text).

    A text longer than ``max_chars`` (a document that is one giant line) is parsed in pieces cut
    at whitespace: spaCy refuses texts over ``nlp.max_length`` and needs memory in proportion.
    """
    limit = max(1, min(max_chars, nlp.max_length))

    def run(texts: list[str]):
        pieces = ((text[s:e], (i, s)) for i, text in enumerate(texts) for s, e in text_pieces(text, limit))
        parsed = nlp.pipe(pieces, as_tuples=True, batch_size=batch_size)
        for _, group in itertools.groupby(parsed, key=lambda item: item[1][0]):
            sents: list[tuple[int, int]] = []
            ents: list[Entity] = []
            for doc, (_, base) in group:
                sents += [(base + s.start_char, base + s.end_char) for s in doc.sents]
                ents += [Entity(base + e.start_char, base + e.end_char, e.label_) for e in doc.ents]
            yield sents, ents

    return run


def text_pieces(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) pieces of ``text`` of at most ``limit`` characters, cut at whitespace if any."""
    pieces, start = [], 0
    while len(text) - start > limit:
        cut = max(text.rfind(ch, start + limit // 2, start + limit) for ch in " \n\t")
        cut = cut if cut > start else start + limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, len(text)))
    return pieces


class PassageSplitter:
    """Split documents into passages of whole sentences that overlap by a sentence.

    A heading line opens a new passage (it becomes that passage's first line) and is attached
    as ``heading`` to the later passages of its section, to help retrieval.

    >>> splitter = PassageSplitter(sentences=regex_sentences, passage_words=20)
    >>> [p.text for p in splitter.split([Document("a.txt", "Notes:\\nAnn met Bob. Bob left.")])]
    ['Notes:\\nAnn met Bob. Bob left.']
    """

    def __init__(
        self, sentences: SentenceFn | None = None, passage_words: int = 90, overlap_sentences: int = 1
    ) -> None:
        if sentences is None:  # spaCy's senter alone: entities are found at answer time (qa.ingest.entities)
            from qa.models import load_senter

            sentences = spacy_sentences(load_senter())
        self.sentences = sentences
        self.passage_words = passage_words
        self.overlap = overlap_sentences

    def split(self, documents: list[Document], progress: Callable[[int], None] | None = None) -> list[Passage]:
        passages: list[Passage] = []
        for doc in documents:
            for start, end, heading, ents in self._passage_spans(doc):
                passages.append(
                    Passage(len(passages), doc.source, start, end, doc.text[start:end], heading, ents,
                            doc.page_at(start))
                )
            if progress:
                progress(1)
        return passages

    def _sections(self, doc: Document):
        """Sentences of the document grouped by section: [(heading, [(start, end)]) ...]."""
        blocks = blocks_of(doc.text, doc.headings)
        body = [b for b in blocks if not b.is_heading]
        parsed = iter(self.sentences([doc.text[b.start : b.end] for b in body]))
        sections: list[tuple[str, list[tuple[int, int]]]] = [("", [])]
        entities: list[Entity] = []
        heading_only = False  # the last section holds nothing but heading lines so far
        for b in blocks:
            if b.is_heading:
                line = doc.text[b.start : b.end]
                if heading_only:  # "The Talks:" directly followed by "A Revised Plan"
                    heading, sents = sections[-1]
                    sections[-1] = (f"{heading}\n{line}", sents + [(b.start, b.end)])
                else:
                    sections.append((line, [(b.start, b.end)]))
                heading_only = True
                continue
            heading_only = False
            sents, ents = next(parsed)
            entities.extend(Entity(b.start + e.start, b.start + e.end, e.label) for e in ents)
            for s, e in sents:
                s, e = _strip(doc.text, b.start + s, b.start + e)
                if e > s:
                    sections[-1][1].extend(word_chunks(doc.text, s, e, self.passage_words))
        return [sec for sec in sections if sec[1]], entities

    def _passage_spans(self, doc: Document):
        sections, entities = self._sections(doc)
        starts = [e.start for e in entities]  # entities come in document order
        for heading, sents in sections:
            words = [len(doc.text[s:e].split()) for s, e in sents]
            i = 0
            while i < len(sents):
                j, total = i, 0
                while j < len(sents) and (j == i or total + words[j] <= self.passage_words):
                    total += words[j]
                    j += 1
                start, end = sents[i][0], sents[j - 1][1]
                lo = bisect.bisect_left(starts, start)
                hi = bisect.bisect_left(starts, end)
                ents = tuple(e for e in entities[lo:hi] if e.end <= end)
                yield start, end, (heading if i > 0 else ""), ents
                if j >= len(sents):
                    break
                i = max(i + 1, j - self.overlap)


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def regex_sentences(texts: list[str]):
    """A spaCy-free sentence splitter (for tests and tools): splits after . ! ? and a space."""
    for text in texts:
        sents, pos = [], 0
        for m in re.finditer(r"(?<=[.!?])\s+", text):
            sents.append((pos, m.start()))
            pos = m.end()
        if pos < len(text):
            sents.append((pos, len(text)))
        yield sents, []
