"""The index seam: what every backend stores and answers, and the errors and reports it raises.

A backend (:class:`PassageStore`) keeps passages with their embeddings, grouped by document,
each document with the content hash it was indexed from. It answers dense search (vector →
passage ids), keyword search (text → passage ids), passages by id, the documents with their
hashes, and changes whole documents at once (:class:`Changes`: add, replace, remove), all or
nothing. Fusion (:mod:`qa.retrieval`) and the builder (:mod:`qa.index.build`) see only this.
Haystack's ``DocumentStore`` protocol and DrQA's retrievers chosen by name are the models.

    >>> from qa.index import open_store                                   # doctest: +SKIP
    >>> store = open_store(Settings())  # local files, or PostgreSQL if QA_DATABASE_URL  # doctest: +SKIP
    >>> store.dense_search(query_vec, 3)                                  # doctest: +SKIP
    [('3f2a...-4', 0.61), ...]
    >>> passage_id("a.txt", "9f86d08", 4)
    'c90efc5142c899d5-9f86d08-4'
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from qa.ingest.files import Skipped
from qa.types import Passage

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class EmptyCorpusError(RuntimeError):
    """The corpus folder holds no readable document; the message says what to do."""


class IndexCorrupt(RuntimeError):
    """The stored index can't be trusted (missing file, bad checksum, unreadable data)."""


class DatabaseUnavailable(RuntimeError):
    """The index database can't be reached or used; the message names it (no password) and what to check."""


def passage_id(source: str, content_hash: str, ordinal: int) -> str:
    """A stable key for a passage: the same document text gives the same ids, wherever it is stored.

    Derived from the document's name, its content hash and the passage's place in it, so an
    unchanged document keeps its ids across rebuilds and backends (caches may key on them).
    """
    where = hashlib.blake2b(source.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    return f"{where}-{content_hash[:16]}-{ordinal}"


@dataclass(frozen=True)
class StoredDocument:
    """A document as the index holds it: its content hash and how many passages it gave."""

    source: str
    content_hash: str
    passages: int


@dataclass(frozen=True)
class DocumentPassages:
    """One document's passages and their embeddings (row ``i`` of ``vectors`` is ``passages[i]``)."""

    source: str
    content_hash: str
    passages: list[Passage]
    vectors: np.ndarray  # float32, (len(passages), dim), L2-normalised


@dataclass(frozen=True)
class Changes:
    """One update of the index, applied all or nothing: documents added or replaced, documents removed,
    and what the index records about the corpus afterwards (skipped files, settings, signature)."""

    upserts: list[DocumentPassages] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    fingerprint: str = ""  # Settings.index_fingerprint() the passages were made with
    signature: dict[str, list[int]] = field(default_factory=dict)  # corpus_signature() after the change
    replace_all: bool = False  # drop every stored document first (settings changed)

    @property
    def empty(self) -> bool:
        return not (self.upserts or self.removals or self.replace_all)


@dataclass(frozen=True)
class IndexMeta:
    """What a store records about the corpus it was built from (None/empty: never built)."""

    fingerprint: str | None = None
    signature: dict[str, list[int]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    generation: int = 0  # bumped by every applied change
    problem: str = ""  # why the stored index can't be used, when it can't ("the index was unreadable")


@dataclass(frozen=True)
class StoreStatus:
    """What a store holds and how it searches, for people and benchmarks (``store.status()``)."""

    backend: str
    where: str
    documents: int
    passages: int
    disk_bytes: int  # the live index's files, or its tables and their indexes
    dense: str  # how dense search runs: "exact (IndexFlatIP)", "pgvector HNSW (m 16, ...)"
    generation: int


@dataclass(frozen=True)
class IndexSummary:
    """What ``QA.index()`` says about the index it loaded or built (the same for every backend)."""

    backend: str  # "local" or "postgresql"
    where: str  # the index folder, or the database (without password)
    documents: dict[str, StoredDocument]
    skipped: list[Skipped]

    @property
    def sources(self) -> list[str]:
        return sorted(self.documents)

    @property
    def passage_count(self) -> int:
        return sum(d.passages for d in self.documents.values())


@runtime_checkable
class PassageStore(Protocol):
    """The index seam. Every method reads or changes the live index; ids are :func:`passage_id` keys."""

    backend: str  # "local" | "postgresql"
    where: str  # shown to people: folder, or database URL without password

    def dense_search(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The ``n`` passages nearest to ``vector`` (inner product = cosine), best first, with scores."""
        ...

    def keyword_search(self, query: str, n: int) -> list[tuple[str, float]]:
        """Up to ``n`` passages matching the words of ``query``, best first, with scores > 0."""
        ...

    def passages(self, ids: Sequence[str]) -> list[Passage]:
        """The passages with these ids, in the same order (unknown ids are left out)."""
        ...

    def similarity(self, ids: Sequence[str], vector: np.ndarray) -> dict[str, float]:
        """Cosine of ``vector`` with the stored embeddings of these passages."""
        ...

    def documents(self) -> dict[str, StoredDocument]:
        """Every indexed document with its content hash."""
        ...

    def open(self) -> None:
        """Make the live index ready to answer (load, verify); raises :class:`IndexCorrupt` if it can't be trusted."""
        ...

    def meta(self) -> IndexMeta:
        """Fingerprint, corpus signature and skipped files recorded by the last change."""
        ...

    def apply(self, changes: Changes) -> None:
        """Add, replace and remove documents' passages in one step: readers see before or after, never between."""
        ...

    def writing(self) -> AbstractContextManager:
        """Held by the one process that updates the index (others wait): a file lock or an advisory lock."""
        ...

    def iter_passages(self) -> Iterator[Passage]:
        """Every stored passage (for checks and tools; answering never needs it)."""
        ...

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """Every passage id with its stored embedding (for checks, and recall against exact search)."""
        ...

    def status(self) -> StoreStatus:
        """Counts, size and the dense search method of the live index."""
        ...

    def close(self) -> None:
        ...


@dataclass
class BuildReport:
    """What a build did, for the CLI and UI to show."""

    action: str  # "built", "rebuilt" or "updated"
    reason: str
    documents: int
    passages: int
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per build stage
    added: list[str] = field(default_factory=list)  # documents new to the index
    changed: list[str] = field(default_factory=list)  # re-split and re-embedded
    removed: list[str] = field(default_factory=list)
    reused: int = 0  # documents whose stored passages and vectors were kept as they were
    embedded: int = 0  # passages embedded by this build

    def summary(self) -> str:
        stages = ", ".join(f"{name} {sec:.1f} s" for name, sec in self.stages.items())
        lines = [
            f"{self.action.capitalize()} the index ({self.reason}): {self.documents} document(s), "
            f"{self.passages} passage(s) in {self.seconds:.1f} s" + (f" ({stages})." if stages else ".")
        ]
        if self.action == "updated":
            parts = [f"{len(x)} {word}" for x, word in ((self.added, "added"), (self.changed, "changed"),
                                                       (self.removed, "removed")) if x]
            lines.append(f"Documents: {', '.join(parts) or 'none changed'}; {self.reused} unchanged kept; "
                         f"{self.embedded} passage(s) embedded.")
        lines += [f"Skipped {s.source}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)
