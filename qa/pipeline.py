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
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.answer.confidence import Calibrator, span_features
from qa.index import BuildReport, IndexBuilder, IndexSummary, Progress, open_store
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
        database_url: str | None = None,
    ) -> None:
        settings = settings or Settings()
        if docs_dir is not None:
            settings = settings.with_(docs_dir=Path(docs_dir))
        if index_dir is not None:
            settings = settings.with_(index_dir=Path(index_dir))
        if database_url is not None:  # "" means: the local index, whatever QA_DATABASE_URL says
            settings = settings.with_(database_url=database_url or None)
        self.settings = settings
        self._reader = reader
        self.calibrator = calibrator or Calibrator.load()
        self.store = open_store(settings)  # the index seam: local files, or PostgreSQL when database_url is set
        self.builder = IndexBuilder(settings, self.store, embedder=lambda: self.embedder)
        self.summary: IndexSummary | None = None  # what the last index() loaded or built
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
    def tagger(self):
        from qa.ingest.entities import EntityTagger

        return _shared_model("entity_tagger", EntityTagger)

    @property
    def resolver(self):
        from qa.answer.followup import FollowupResolver

        return _shared_model("resolver", FollowupResolver)

    # ------------------------------------------------------------------ index

    def index(self, progress: Progress | None = None, force: bool = False) -> tuple[IndexSummary, BuildReport | None]:
        """Bring the index up to date with the corpus (only changed documents are re-split and
        re-embedded; ``force``: all of them) and say what it holds. The report is None when it
        already was up to date."""
        with self._lock:
            if force:
                report = self.builder.update(progress, reason="requested", force=True)
            else:
                report = self.builder.ensure(progress)
            self._set_ready()
            self.last_report = report or self.last_report
            return self.summary, report

    def status(self) -> str:
        """"fresh", or why the index needs updating ("no index yet", "documents changed", ...)."""
        return self.builder.stale_reason() or "fresh"

    def add_document(self, path: str | Path, progress: Progress | None = None) -> BuildReport | None:
        """Index one file of the corpus folder (new or changed) alone, leaving every other document
        as stored; a file that can't be read is listed as skipped. ``path``: absolute, or relative
        to the corpus folder. Returns the update's report (None if the file was indexed as it is)."""
        source = self._source(path)
        with self._lock:
            report = self.builder.update(progress, reason=f"{source} added or changed", only=[source])
            self._set_ready()
            self.last_report = report or self.last_report
            return report

    def remove_document(self, source: str, progress: Progress | None = None) -> BuildReport | None:
        """Delete the file ``source`` from the corpus folder and its passages from the index."""
        source = self._source(source)
        path = self.settings.docs_dir / source
        if path.is_file() or path.is_symlink():
            path.unlink()
        with self._lock:
            report = self.builder.update(progress, reason=f"{source} removed", only=[source])
            self._set_ready()
            self.last_report = report or self.last_report
            return report

    def _source(self, path: str | Path) -> str:
        """A corpus file's name as the index knows it; ``ValueError`` if it lies outside the corpus folder."""
        from qa.ingest.files import source_of

        root = self.settings.docs_dir
        path = Path(path)
        full = path if path.is_absolute() else root / path
        if not full.resolve().is_relative_to(root.resolve()) or full.resolve() == root.resolve():
            raise ValueError(f"{path} is not a file in the corpus folder {root}: put it there first.")
        return source_of(Path(root.resolve()) / full.resolve().relative_to(root.resolve()), root.resolve())

    def _set_ready(self) -> None:
        from qa.retrieval import HybridRetriever

        self.summary = IndexSummary(self.store.backend, self.store.where, self.store.documents(),
                                    self.store.meta().skipped)
        if self._retriever is None:
            s = self.settings
            self._retriever = HybridRetriever(self.store, self.embedder, s.candidates, s.rrf_k, tagger=self.tagger)
        self._checked_at = time.monotonic()

    def retriever(self):
        """The hybrid retriever over the index, after a (throttled) check that the index is still fresh
        (updating it first if not)."""
        with self._lock:
            stale = self._retriever is None or (
                time.monotonic() - self._checked_at > self.check_interval and self.builder.stale_reason() is not None
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
        retriever = self.retriever()
        t2 = time.perf_counter()
        query_vec = self.embedder.encode([resolved])[0]
        t3 = time.perf_counter()
        hits = retriever.retrieve(resolved, self.settings.top_k, query_vec=query_vec)
        t4 = time.perf_counter()
        types = self.type_probs(query_vec)
        spans, answer = self.read(resolved, hits, types)
        t5 = time.perf_counter()
        timings = {"resolve": t1 - t0, "index_check": t2 - t1, "encode": t3 - t2, "retrieve": t4 - t3,
                   "read": t5 - t4, "total": time.perf_counter() - t0}
        return Answer(answer.answer, answer.score, answer.citations, question, resolved,
                      answer.candidate, timings)

    def search(self, question: str, top_k: int | None = None) -> tuple[list[Hit], np.ndarray]:
        """The passages retrieved for ``question`` (best first) and its embedding, as ``ask`` sees them."""
        retriever = self.retriever()
        query_vec = self.embedder.encode([question])[0]
        return retriever.retrieve(question, top_k or self.settings.top_k, query_vec=query_vec), query_vec

    def read_stages(self, question: str, hits: list[Hit]) -> Iterator[tuple[int, list[Span]]]:
        """(passages read, spans found so far, best first) after each stage of reading:
        the top passage alone, then up to ``read_passages``, then up to ``read_more``.

        Each stage reads only passages not read before. :meth:`read` stops early;
        ``qa calibrate`` walks every stage, so the calibration sees each depth ``read`` uses.
        """
        s = self.settings
        spans: list[Span] = []
        done = 0
        for upto in (1, s.read_passages, s.read_more):
            upto = min(upto, len(hits))
            if upto <= done:
                continue
            spans = _merge_spans(spans, self.reader.read(question, hits[done:upto]))
            done = upto
            yield done, spans

    def read(self, question: str, hits: list[Hit], type_probs=None, mode: str = "open") -> tuple[list[Span], Answer]:
        """Read the retrieved passages in stages, stopping as soon as the answer is good enough.

        1. the top passage alone (about one reader window): done if its answer's confidence
           reaches ``settings.sure_enough``, the common case;
        2. up to ``read_passages`` passages: done if they give any answer;
        3. up to ``read_more`` passages, where the first ones gave no confident answer.
        """
        spans: list[Span] = []
        answer = self.decide(question, [], hits, type_probs, mode=mode)
        for depth, spans in self.read_stages(question, hits):
            answer = self.decide(question, spans, hits, type_probs, depth=depth, mode=mode)
            enough = self.settings.sure_enough if depth == 1 else 0.0
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
        answer = self.decide(clean, spans, [hit], self.type_probs(q_vec), depth=1, mode="reading")
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

    def type_probs(self, query_vec) -> np.ndarray | None:
        """The question's expected answer types (TREC classes) from its embedding."""
        clf = self.answer_types
        return clf.probabilities(query_vec) if clf is not None else None

    def decide(self, question: str, spans: list[Span], hits: list[Hit], type_probs=None,
               depth: int | None = None, mode: str = "open") -> Answer:
        """Answer with the best span if its calibrated confidence is high enough, else abstain."""
        if not spans:
            closest = [self._citation(hits[0])] if hits else []
            return Answer(None, 1.0 if not hits else 0.9, closest)
        best = spans[0]

        def confidence(span: Span) -> float:
            return self.calibrator.probability(span_features(question, span, spans, hits, type_probs, depth), mode)

        features = span_features(question, best, spans, hits, type_probs, depth)
        p = self.calibrator.probability(features, mode)
        if p < self.calibrator.threshold:
            return Answer(None, self.calibrator.abstention_confidence(features, mode),
                          [self._citation(best.hit)], candidate=best.text)
        citations = [self._citation(best.hit, best, p)]
        seen = {best.hit.passage.id}
        key = normalize_answer(best.text)
        for s in spans[1:]:  # the same answer found in other passages supports it too
            if s.hit.passage.id not in seen and normalize_answer(s.text) == key and key:
                seen.add(s.hit.passage.id)
                citations.append(self._citation(s.hit, s, confidence(s)))
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
    key = (str(settings.docs_dir.resolve()), str(settings.index_dir.resolve()), settings.database_url)
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
