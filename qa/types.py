"""Plain dataclasses for what flows through the pipeline: documents → passages → hits → answer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """A source document: its path relative to the corpus folder, and its full text.

    For converted formats ``text`` is the converted text (:mod:`qa.ingest.convert`);
    ``pages`` holds each page's (start, end) range in it (PDF only), and ``headings`` the
    ranges of heading lines where the format marks them (None: guessed from the text).
    """

    source: str
    text: str
    pages: tuple[tuple[int, int], ...] = ()
    headings: tuple[tuple[int, int], ...] | None = None

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character ``offset`` (None for a format without pages)."""
        if not self.pages:
            return None
        import bisect

        return max(1, bisect.bisect_right([s for s, _ in self.pages], offset))


@dataclass(frozen=True)
class Entity:
    """A named entity found by spaCy, with offsets into its document."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences of one document: ``text == document.text[start:end]``.

    ``heading`` is the nearest heading line above the passage (or ""): it is indexed with the
    passage to help retrieval but is not part of ``text`` and never shifts the offsets.
    """

    id: str  # a stable key: qa.index.base.passage_id(source, content hash, ordinal)
    source: str
    start: int
    end: int
    text: str
    heading: str = ""
    entities: tuple[Entity, ...] = ()
    page: int | None = None  # 1-based page where the passage starts (PDF), else None

    @property
    def indexed_text(self) -> str:
        """What the retrievers see: heading (if any) followed by the passage."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused score and per-retriever evidence."""

    passage: Passage
    score: float  # reciprocal-rank-fusion score
    dense_score: float  # cosine similarity of question and passage
    bm25_score: float
    rank: int  # 0-based, after fusion


@dataclass(frozen=True)
class Span:
    """An answer candidate found by a reader inside one hit, with document offsets."""

    text: str
    start: int
    end: int
    hit: Hit
    score: float  # reader's span score (start + end logit)
    null_score: float  # reader's "no answer in this window" score
    log_prob: float = 0.0  # log P(this span) under the window's start/end softmax
    null_log_prob: float = 0.0  # log P(no answer) likewise, [CLS] for both pointers


@dataclass(frozen=True)
class Citation:
    """Where an answer comes from: ``text == document_text[start:end]``."""

    source: str
    start: int
    end: int
    text: str
    answer_start: int | None = None
    answer_end: int | None = None
    score: float = 0.0
    page: int | None = None  # 1-based page of the passage in a paged document (PDF), else None


@dataclass(frozen=True)
class Answer:
    """The reply to a question. ``answer is None`` means the documents don't say.

    ``score`` is the confidence in the answer, or in the abstention when ``answer`` is None.
    ``question`` is the question as asked; ``resolved_question`` is what was searched
    (differs for follow-ups resolved against the conversation).
    """

    answer: str | None
    score: float
    citations: list[Citation] = field(default_factory=list)
    question: str = ""
    resolved_question: str = ""
    candidate: str | None = None  # the reader's best span, kept even when abstaining
    timings: dict[str, float] = field(default_factory=dict)
