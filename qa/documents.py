"""Documents → passages: read the corpus folder, split into sentence passages with exact offsets.

    >>> from qa.documents import load_documents, PassageSplitter
    >>> docs, skipped = load_documents("source_docs")          # doctest: +SKIP
    >>> passages = PassageSplitter().split(docs)               # doctest: +SKIP
    >>> p = passages[0]; docs[0].text[p.start:p.end] == p.text  # doctest: +SKIP
    True
"""

from __future__ import annotations

import bisect
import codecs
import itertools
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.config import DEFAULT_MAX_FILE_BYTES
from qa.types import Document, Entity, Passage


@dataclass(frozen=True)
class Skipped:
    """A file left out of the index, and why (shown to the user by the CLI and UI)."""

    source: str
    reason: str


# --------------------------------------------------------------------------- loading


def _iter_files(root: Path, extensions: tuple[str, ...]) -> Iterator[Path]:
    """Files under ``root`` with a wanted extension, sorted, not descending into symlinked dirs."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(extensions):
                yield Path(dirpath) / name


def source_of(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with ``/`` separators, as the index and citations name it.

    Bytes of a file name that are not UTF-8 are shown as ``\\xNN``, so the name is always
    printable (such a file is skipped by :func:`read_document`).
    """
    rel = path.relative_to(root).as_posix()
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_document(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Document | Skipped:
    """Read one file as UTF-8 text, or say why it can't be indexed."""
    source = source_of(path, root)
    try:
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except FileNotFoundError:
                return Skipped(source, "broken symbolic link (its target does not exist)")
            except (OSError, RuntimeError):  # RuntimeError: a symlink loop, on Python 3.11
                return Skipped(source, "symbolic link that loops or can't be followed")
            if not target.is_relative_to(root.resolve()):
                return Skipped(source, "symbolic link to a file outside the corpus folder")
        if source != path.relative_to(root).as_posix():
            return Skipped(source, "the file name is not valid UTF-8 (rename the file)")
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            return Skipped(source, "not a regular file")
        if st.st_size > max_bytes:
            return Skipped(source, f"too large ({st.st_size / 2**20:.1f} MB; the limit is "
                                   f"{max_bytes / 2**20:g} MB, set QA_MAX_FILE_MB to change it)")
        with open(path, "rb") as fh:
            raw = fh.read(st.st_size + 1)  # one byte more than stat() said shows if it has grown
            if len(raw) > st.st_size:
                raw += fh.read(max_bytes + 1 - len(raw))  # never more than the limit
        if len(raw) > max_bytes:
            return Skipped(source, f"too large (it grew past the limit of {max_bytes / 2**20:g} MB while being read)")
    except FileNotFoundError:
        return Skipped(source, "disappeared while the corpus was being read")
    except OSError as exc:
        return Skipped(source, f"unreadable ({exc.strerror or exc})")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Skipped(source, "UTF-16 text, not UTF-8 (save it as UTF-8)")
    if b"\x00" in raw[:8192]:
        return Skipped(source, "binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Skipped(source, "not UTF-8 text (save it as UTF-8)")
    if not text.strip():
        return Skipped(source, "empty file")
    return Document(source, text)


def load_documents(
    docs_dir: str | Path, extensions: tuple[str, ...] = (".txt", ".md"), max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> tuple[list[Document], list[Skipped]]:
    """All readable ``.txt``/``.md`` documents under ``docs_dir`` (recursively), and the skipped ones."""
    root = Path(docs_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"The corpus folder {root} does not exist")
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for path in _iter_files(root, extensions):
        result = read_document(path, root, max_bytes)
        (docs if isinstance(result, Document) else skipped).append(result)
    return docs, skipped


# ------------------------------------------------------------------------- splitting

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


def blocks_of(text: str) -> list[Block]:
    blocks = []
    for m in re.finditer(r"[^\n]+", text):
        stripped = m.group().strip()
        if not stripped:
            continue
        lead = len(m.group()) - len(m.group().lstrip())
        start = m.start() + lead
        blocks.append(Block(start, start + len(stripped), is_heading(stripped)))
    return blocks


def _word_chunks(text: str, start: int, end: int, words: int) -> Iterator[tuple[int, int]]:
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
        pieces = ((text[s:e], (i, s)) for i, text in enumerate(texts) for s, e in _pieces(text, limit))
        parsed = nlp.pipe(pieces, as_tuples=True, batch_size=batch_size)
        for _, group in itertools.groupby(parsed, key=lambda item: item[1][0]):
            sents: list[tuple[int, int]] = []
            ents: list[Entity] = []
            for doc, (_, base) in group:
                sents += [(base + s.start_char, base + s.end_char) for s in doc.sents]
                ents += [Entity(base + e.start_char, base + e.end_char, e.label_) for e in doc.ents]
            yield sents, ents

    return run


def _pieces(text: str, limit: int) -> list[tuple[int, int]]:
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
        if sentences is None:
            from qa.models import load_corpus_nlp

            sentences = spacy_sentences(load_corpus_nlp())
        self.sentences = sentences
        self.passage_words = passage_words
        self.overlap = overlap_sentences

    def split(self, documents: list[Document], progress: Callable[[int], None] | None = None) -> list[Passage]:
        passages: list[Passage] = []
        for doc in documents:
            for start, end, heading, ents in self._passage_spans(doc):
                passages.append(
                    Passage(len(passages), doc.source, start, end, doc.text[start:end], heading, ents)
                )
            if progress:
                progress(1)
        return passages

    def _sections(self, doc: Document):
        """Sentences of the document grouped by section: [(heading, [(start, end)]) ...]."""
        blocks = blocks_of(doc.text)
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
                    sections[-1][1].extend(_word_chunks(doc.text, s, e, self.passage_words))
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
