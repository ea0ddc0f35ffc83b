"""The ``QA`` facade: question → (follow-up resolution) → retrieval → reading → cited answer.

    >>> from qa import QA
    >>> qa = QA(docs_dir="source_docs", index_dir="index")            # doctest: +SKIP
    >>> ans = qa.ask("Who led the Ukrainian officials in Florida?")    # doctest: +SKIP
    >>> ans.answer, ans.citations[0].source                           # doctest: +SKIP
    ('Rustem Umerov', 'us-ukraine-peace-talks-2025-12-02.txt')

Models load once per process and are shared by every ``QA`` and thread; the index is loaded
(or built) on first use and rebuilt when the documents or settings change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.answer.confidence import Calibrator, span_features
from qa.index import BuildReport, Index, IndexStore, Progress
from qa.metrics import normalize_answer
from qa.types import Answer, Citation, Document, Hit, Passage, Span


class InvalidQuestion(ValueError):
    """The question can't be asked as it is; the message tells the person what to change."""


def _load_corpus_nlp():
    from qa.models import load_corpus_nlp

    return load_corpus_nlp()


_shared: dict[str, object] = {}
_shared_lock = threading.Lock()


def _shared_model(name: str, factory: Callable[[], object]):
    """One instance per process of each heavy model (embedder, reader, resolver)."""
    with _shared_lock:
        if name not in _shared:
            _shared[name] = factory()
        return _shared[name]


def check_question(question: object, max_chars: int) -> str:
    """The question, cleaned of control characters; raises :class:`InvalidQuestion` if unusable."""
    if not isinstance(question, str):
        raise InvalidQuestion(f"The question must be text, not {type(question).__name__}.")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question).strip()
    if not cleaned:
        raise InvalidQuestion("The question is empty: type a question about the documents.")
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"The question is too long ({len(question)} characters; the limit is {max_chars}). "
            "Ask something shorter."
        )
    return " ".join(cleaned.split())


class QA:
    """Question answering over a corpus folder, with its index kept in an index folder."""

    def __init__(
        self,
        docs_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        settings: Settings | None = None,
        reader=None,
        calibrator: Calibrator | None = None,
        check_interval: float = 1.0,
    ) -> None:
        settings = settings or Settings()
        if docs_dir is not None:
            settings = settings.with_(docs_dir=Path(docs_dir))
        if index_dir is not None:
            settings = settings.with_(index_dir=Path(index_dir))
        self.settings = settings
        self._reader = reader
        self.calibrator = calibrator or Calibrator.load()
        self.store = IndexStore(settings, embedder_factory=lambda: self.embedder)
        self._index: Index | None = None
        self._retriever = None
        self._lock = threading.RLock()
        self._checked_at = 0.0
        self.check_interval = check_interval
        self.last_report: BuildReport | None = None
        self._text_cache: dict[tuple[str, str], tuple[Passage, object]] = {}

    # ----------------------------------------------------------------- models

    @property
    def embedder(self):
        from qa.embedding import Embedder

        return _shared_model("embedder", lambda: Embedder(self.settings.embed_batch_size))

    @property
    def reader(self):
        if self._reader is None:
            from qa.reader.span_reader import SpanReader

            s = self.settings
            self._reader = _shared_model(
                f"reader-{s.max_length}-{s.stride}-{s.max_answer_tokens}",
                lambda: SpanReader(max_length=s.max_length, stride=s.stride, max_answer_tokens=s.max_answer_tokens),
            )
        return self._reader

    @property
    def answer_types(self):
        from qa.answer.answer_types import AnswerTypes

        return _shared_model("answer_types", AnswerTypes.load)

    @property
    def resolver(self):
        from qa.answer.followup import FollowupResolver

        return _shared_model("resolver", FollowupResolver)

    # ------------------------------------------------------------------ index

    def index(self, progress: Progress | None = None, force: bool = False) -> tuple[Index, BuildReport | None]:
        """Load the index, building it first if missing or stale (or if ``force``)."""
        with self._lock:
            if force:
                from filelock import FileLock

                self.settings.index_dir.mkdir(parents=True, exist_ok=True)
                with FileLock(str(self.settings.index_dir / ".lock")):
                    index, report = self.store.build(progress, reason="requested")
            else:
                index, report = self.store.load_or_build(progress)
            self._set_index(index)
            self.last_report = report or self.last_report
            return index, report

    def _set_index(self, index: Index) -> None:
        from qa.retrieval import HybridRetriever

        self._index = index
        self._retriever = HybridRetriever(index, self.embedder, self.settings.candidates, self.settings.rrf_k)
        self._checked_at = time.monotonic()

    def _ready(self):
        """The current retriever, after a (throttled) check that the index is still fresh."""
        with self._lock:
            stale = self._index is None or (
                time.monotonic() - self._checked_at > self.check_interval and self.store.status() != "fresh"
            )
            if stale:
                self.index()
            self._checked_at = time.monotonic()
            return self._retriever

    # -------------------------------------------------------------------- ask

    def ask(self, question: str, history: list[tuple[str, str | None]] | None = None) -> Answer:
        """Answer ``question`` from the documents, or abstain (``answer is None``)."""
        t0 = time.perf_counter()
        clean = check_question(question, self.settings.max_question_chars)
        resolved = self.resolver.resolve(clean, history) if history else clean
        t1 = time.perf_counter()
        retriever = self._ready()
        t2 = time.perf_counter()
        query_vec = self.embedder.encode([resolved])[0]
        t3 = time.perf_counter()
        hits = retriever.retrieve(resolved, self.settings.top_k, query_vec=query_vec)
        t4 = time.perf_counter()
        types = self._type_probs(query_vec)
        spans, answer = self.read(resolved, hits, types)
        t5 = time.perf_counter()
        timings = {"resolve": t1 - t0, "index_check": t2 - t1, "encode": t3 - t2, "retrieve": t4 - t3,
                   "read": t5 - t4, "total": time.perf_counter() - t0}
        return Answer(answer.answer, answer.score, answer.citations, question, resolved,
                      answer.candidate, timings)

    def read(self, question: str, hits: list[Hit], type_probs=None) -> tuple[list[Span], Answer]:
        """Read the retrieved passages in stages, stopping as soon as the answer is good enough.

        1. the top passage alone (about one reader window): done if its answer's confidence
           reaches ``settings.sure_enough``, the common case;
        2. up to ``read_passages`` passages: done if they give any answer;
        3. up to ``read_more`` passages, where the first ones gave no confident answer.
        Each stage reads only passages not read before, so the worst case costs one pass more
        than reading them all at once.
        """
        s = self.settings
        stages = ((1, s.sure_enough), (s.read_passages, 0.0), (s.read_more, 0.0))
        spans: list[Span] = []
        answer, done = self.decide(question, [], hits, type_probs), 0
        for upto, enough in stages:
            upto = min(upto, len(hits))
            if upto <= done:
                continue
            spans = _merge_spans(spans, self.reader.read(question, hits[done:upto]))
            done = upto
            answer = self.decide(question, spans, hits, type_probs)
            if answer.answer is not None and answer.score >= enough:
                break
        return spans, answer

    def ask_text(self, question: str, text: str, source: str = "text") -> Answer:
        """Answer from one given text only (no index): the reader alone, as in SQuAD reading mode."""
        t0 = time.perf_counter()
        clean = check_question(question, self.settings.max_question_chars)
        passage, t_vec = self._text_passage(text, source)
        q_vec = self.embedder.encode([clean])[0]
        hit = Hit(passage, 1.0, float(q_vec @ t_vec), 0.0, 0)
        spans = self.reader.read(clean, [hit])
        answer = self.decide(clean, spans, [hit], self._type_probs(q_vec))
        return Answer(answer.answer, answer.score, answer.citations, question, clean, answer.candidate,
                      {"total": time.perf_counter() - t0})

    def document_text(self, source: str) -> str:
        """The text of document ``source`` as indexed: a ``.txt``/``.md`` file's own text, or the
        converted text of a PDF, HTML or Word file; citations' offsets refer to it.

        Raises ``FileNotFoundError`` for a name outside the corpus, or a file that is gone or
        can't be read (the message says why).
        """
        from qa.ingest.files import read_document
        from qa.ingest.library import corpus_path

        path = corpus_path(self.settings.docs_dir, source)
        doc = read_document(path, self.settings.docs_dir, self.settings.max_file_bytes)
        if not isinstance(doc, Document):
            raise FileNotFoundError(f"{source}: {doc.reason}")
        return doc.text

    def text_passage(self, text: str, source: str = "text") -> Passage:
        """A whole text as one passage, with its spaCy entities (as the index would store)."""
        return self._text_passage(text, source)[0]

    def _text_passage(self, text: str, source: str) -> tuple[Passage, np.ndarray]:
        """(passage, embedding) of a text; cached, since evaluations ask many questions per text."""
        key = (source, text)
        with self._lock:
            cached = self._text_cache.get(key)
        if cached is None:
            from qa.ingest.split import spacy_sentences

            nlp = _shared_model("corpus_nlp", _load_corpus_nlp)
            _, ents = next(iter(spacy_sentences(nlp)([text])))
            cached = (Passage(0, source, 0, len(text), text, "", tuple(ents)), self.embedder.encode([text])[0])
            with self._lock:
                if len(self._text_cache) >= 256:
                    self._text_cache.pop(next(iter(self._text_cache)))
                self._text_cache[key] = cached
        return cached

    def _type_probs(self, query_vec):
        clf = self.answer_types
        return clf.probabilities(query_vec) if clf is not None else None

    def decide(self, question: str, spans: list[Span], hits: list[Hit], type_probs=None) -> Answer:
        """Answer with the best span if the calibrated confidence is high enough, else abstain."""
        if not spans:
            closest = [self._citation(hits[0])] if hits else []
            return Answer(None, 1.0 if not hits else 0.9, closest)
        best = spans[0]
        p = self.calibrator.probability(span_features(question, best, spans, hits, type_probs))
        if p < self.calibrator.threshold:
            return Answer(None, 1.0 - p, [self._citation(best.hit)], candidate=best.text)
        citations = [self._citation(best.hit, best, p)]
        seen = {best.hit.passage.id}
        key = normalize_answer(best.text)
        for s in spans[1:]:  # the same answer found in other passages supports it too
            if s.hit.passage.id not in seen and normalize_answer(s.text) == key and key:
                seen.add(s.hit.passage.id)
                p_s = self.calibrator.probability(span_features(question, s, spans, hits, type_probs))
                citations.append(self._citation(s.hit, s, p_s))
        return Answer(best.text, p, citations, candidate=best.text)

    @staticmethod
    def _citation(hit: Hit, span: Span | None = None, score: float | None = None) -> Citation:
        p = hit.passage
        return Citation(
            p.source, p.start, p.end, p.text,
            span.start if span else None, span.end if span else None,
            score if score is not None else hit.score, p.page,
        )


def _merge_spans(old: list[Span], new: list[Span]) -> list[Span]:
    """Spans of both reads, best first; a span found in two overlapping passages counts once."""
    best: dict[tuple[str, int, int], Span] = {}
    for span in old + new:
        key = (span.hit.passage.source, span.start, span.end)
        if key not in best or span.score - span.null_score > best[key].score - best[key].null_score:
            best[key] = span
    return sorted(best.values(), key=lambda x: x.score - x.null_score, reverse=True)


_default: dict[tuple, QA] = {}
_default_lock = threading.Lock()


def default_qa() -> QA:
    """The process-wide ``QA`` for the folders in ``QA_DOCS_DIR`` / ``QA_INDEX_DIR``."""
    settings = Settings()
    key = (str(settings.docs_dir.resolve()), str(settings.index_dir.resolve()))
    with _default_lock:
        if key not in _default:
            _default[key] = QA(settings=settings)
        return _default[key]


def ask(question: str, history: list[tuple[str, str | None]] | None = None) -> Answer:
    """Answer a question about the documents in ``QA_DOCS_DIR`` (default ``source_docs/``).

    ``history`` holds the earlier (question, answer) turns, oldest first, for follow-ups.
    Raises :class:`InvalidQuestion` (a ``ValueError``) for an empty or over-long question.
    """
    return default_qa().ask(question, history)
