"""One contract for every index backend (Haystack's ``DocumentStoreBaseTests`` pattern).

A backend's test module subclasses :class:`StoreContract` and provides two fixtures: ``store``
(an empty store) and ``settings`` (``Settings`` that make ``open_store`` pick that backend over
a fresh corpus folder). Every test here then runs against it: the local files and a real
PostgreSQL alike. The store tests use fixed random vectors (the store is under test, not the
embedder); the ``QA`` tests at the end run the real models.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from qa.index import Changes, DocumentPassages, open_store, passage_id
from qa.ingest.files import Skipped
from qa.types import Passage

DIM = 384

TEXTS = {
    "volcanoes.txt": ["Iceland sits on the Mid-Atlantic Ridge, where two plates drift apart.",
                      "The 2010 eruption of Eyjafjallajökull grounded flights across Europe."],
    "bakery.md": ["The Corner Bakery was founded in 1987 by Maria Lopez in Valencia.",
                  "It bakes sourdough bread every morning at four o'clock.",
                  "The head baker trained in Lyon."],
    "notes/chess.txt": ["The chess club meets on Tuesdays in the town library."],
}


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def document(source: str, texts: list[str], digest: str, seed: int = 0, heading: str = "") -> DocumentPassages:
    passages, start = [], 0
    for i, t in enumerate(texts):
        passages.append(Passage(passage_id(source, digest, i), source, start, start + len(t), t, heading))
        start += len(t) + 1
    return DocumentPassages(source, digest, passages, unit(np.random.default_rng(seed), len(texts)))


def corpus_changes(**kw) -> Changes:
    docs = [document(src, texts, f"{i:064x}", seed=i) for i, (src, texts) in enumerate(sorted(TEXTS.items()))]
    return Changes(docs, fingerprint="fp1", signature={d.source: [1, 2] for d in docs}, **kw)


class StoreContract:
    """Every backend passes these. Subclasses define the ``store`` and ``settings`` fixtures."""

    # ------------------------------------------------------------------ an empty store

    def test_an_empty_store_has_nothing_and_says_it_was_never_built(self, store):
        assert store.meta().fingerprint is None
        assert store.documents() == {}
        assert store.dense_search(unit(np.random.default_rng(1), 1)[0], 5) == []
        assert store.keyword_search("volcano", 5) == []
        assert list(store.iter_passages()) == []

    # ------------------------------------------------------------------ writing and reading

    def test_documents_are_stored_with_their_content_hashes_and_passages(self, store):
        changes = corpus_changes(skipped=[Skipped("bad.txt", "binary file, not text")])
        store.apply(changes)
        docs = store.documents()
        assert {s: (d.content_hash, d.passages) for s, d in docs.items()} == {
            d.source: (d.content_hash, len(d.passages)) for d in changes.upserts}
        meta = store.meta()
        assert meta.fingerprint == "fp1" and meta.signature == changes.signature
        assert meta.skipped == [Skipped("bad.txt", "binary file, not text")] and meta.generation >= 1
        stored = {p.id: p for p in store.iter_passages()}
        assert stored == {p.id: p for d in changes.upserts for p in d.passages}

    def test_passages_by_id_keep_the_order_asked_and_leave_out_unknown_ids(self, store):
        changes = corpus_changes()
        store.apply(changes)
        wanted = [changes.upserts[2].passages[0].id, "no-such-id", changes.upserts[0].passages[1].id]
        got = store.passages(wanted)
        assert [p.id for p in got] == [wanted[0], wanted[2]]
        assert got[0] == changes.upserts[2].passages[0] and got[1].text == changes.upserts[0].passages[1].text

    def test_dense_search_finds_the_nearest_vectors_best_first(self, store):
        changes = corpus_changes()
        store.apply(changes)
        everything = [(p.id, v) for d in changes.upserts for p, v in zip(d.passages, d.vectors)]
        for pid, vec in everything:
            hits = store.dense_search(vec, 3)
            assert hits[0][0] == pid and hits[0][1] == pytest.approx(1.0, abs=1e-4)
            assert all(a[1] >= b[1] for a, b in zip(hits, hits[1:]))
        query = unit(np.random.default_rng(9), 1)[0]
        exact = sorted(everything, key=lambda x: -float(x[1] @ query))
        hits = store.dense_search(query, 6)
        assert [h[0] for h in hits] == [pid for pid, _ in exact]
        assert [h[1] for h in hits] == pytest.approx([float(v @ query) for _, v in exact], abs=1e-4)

    def test_keyword_search_matches_stemmed_words_and_nothing_for_unknown_ones(self, store):
        store.apply(corpus_changes())
        hits = store.keyword_search("Who founded the bakery in Valencia?", 5)
        assert hits and store.passages([hits[0][0]])[0].text.startswith("The Corner Bakery was founded")
        assert all(score > 0 for _, score in hits)
        eruption = store.keyword_search("eruptions", 5)  # plural: stemming finds "eruption"
        assert [store.passages([pid])[0].source for pid, _ in eruption][:1] == ["volcanoes.txt"]
        assert store.keyword_search("zzzqqq xxyyzz", 5) == []
        assert store.keyword_search("the of and", 5) == []  # stop words only
        assert store.keyword_search("'; DROP TABLE qa_passages; -- & | ! :*", 5) == []
        assert len(list(store.iter_passages())) == 6, "odd characters in a query are only words"

    def test_similarity_is_the_cosine_with_the_stored_vectors(self, store):
        changes = corpus_changes()
        store.apply(changes)
        query = unit(np.random.default_rng(3), 1)[0]
        d = changes.upserts[1]
        got = store.similarity([p.id for p in d.passages] + ["unknown"], query)
        assert set(got) == {p.id for p in d.passages}
        for p, v in zip(d.passages, d.vectors):
            assert got[p.id] == pytest.approx(float(v @ query), abs=1e-4)

    # ------------------------------------------------------------------ changing documents

    def test_replacing_one_document_leaves_the_others_as_they_were(self, store):
        changes = corpus_changes()
        store.apply(changes)
        before = {p.id: p for p in store.iter_passages()}
        new = document("bakery.md", ["The bakery closed in 2020."], "f" * 64, seed=42)
        store.apply(Changes([new], fingerprint="fp1", signature=changes.signature))
        after = {p.id: p for p in store.iter_passages()}
        old_bakery = {p.id for p in before.values() if p.source == "bakery.md"}
        assert set(after) == (set(before) - old_bakery) | {new.passages[0].id}
        assert all(after[i] == before[i] for i in set(before) - old_bakery), "the others are untouched"
        assert store.documents()["bakery.md"].content_hash == "f" * 64
        assert store.dense_search(new.vectors[0], 1)[0][0] == new.passages[0].id
        assert store.keyword_search("closed", 3)[0][0] == new.passages[0].id
        assert store.keyword_search("sourdough", 3) == [], "the old passages are gone from keyword search too"

    def test_removing_a_document_removes_its_passages_everywhere(self, store):
        changes = corpus_changes()
        store.apply(changes)
        gen = store.meta().generation
        store.apply(Changes(removals=["volcanoes.txt"], fingerprint="fp1", signature={}))
        assert "volcanoes.txt" not in store.documents() and len(store.documents()) == 2
        assert all(p.source != "volcanoes.txt" for p in store.iter_passages())
        assert store.keyword_search("Eyjafjallajökull eruption", 5) == []
        vec = changes.upserts[2].vectors[0]  # volcanoes.txt sorts last
        assert all(store.passages([pid])[0].source != "volcanoes.txt" for pid, _ in store.dense_search(vec, 5))
        assert store.meta().generation == gen + 1

    def test_replace_all_starts_afresh(self, store):
        store.apply(corpus_changes())
        only = document("new.txt", ["Zebras live in Kenya."], "e" * 64)
        store.apply(Changes([only], fingerprint="fp2", replace_all=True))
        assert list(store.documents()) == ["new.txt"] and store.meta().fingerprint == "fp2"
        assert [p.id for p in store.iter_passages()] == [only.passages[0].id]

    def test_a_failed_change_leaves_the_previous_state(self, store):
        store.apply(corpus_changes())
        before = (store.documents(), sorted(p.id for p in store.iter_passages()), store.meta())
        broken = DocumentPassages("volcanoes.txt", "d" * 64, document("volcanoes.txt", ["One.", "Two."], "d" * 64)
                                  .passages, np.zeros((2, 7), np.float32))  # vectors of the wrong size
        with pytest.raises(Exception):  # noqa: B017 - each backend fails in its own way; the state is the point
            store.apply(Changes([broken], removals=["bakery.md"], fingerprint="fp1"))
        assert (store.documents(), sorted(p.id for p in store.iter_passages()), store.meta()) == before

    def test_another_store_over_the_same_place_sees_the_changes(self, store, settings):
        store.apply(corpus_changes())
        other = open_store(settings)
        try:
            assert other.documents() == store.documents()
            store.apply(Changes(removals=["bakery.md"], fingerprint="fp1"))
            assert "bakery.md" not in other.documents()
            assert other.keyword_search("sourdough", 3) == []
        finally:
            other.close()

    def test_writers_exclude_each_other(self, store, settings):
        """Two stores over one index: the second writer waits until the first has finished."""
        other = open_store(settings)
        events: list[str] = []
        held = threading.Event()

        def first() -> None:
            with store.writing():
                events.append("first in")
                held.set()
                time.sleep(0.5)
                events.append("first out")

        t = threading.Thread(target=first)
        t.start()
        held.wait(10)
        with other.writing():
            events.append("second in")
        t.join(10)
        other.close()
        assert events == ["first in", "first out", "second in"]


class QAContract:
    """``QA`` end to end over a backend: incremental updates, stable ids, answers (real models)."""

    pytestmark = pytest.mark.slow

    def test_one_changed_file_is_the_only_one_re_split_and_re_embedded(self, settings, corpus):
        from qa import QA

        qa = QA(settings=settings)
        summary, report = qa.index()
        assert report.action == "built" and summary.backend == qa.store.backend
        before = {p.id: p for p in qa.store.iter_passages()}
        (corpus / "notes" / "chess.txt").write_text("The chess club now meets on Fridays in the old school.\n")
        assert qa.status() == "documents changed"
        summary, report = qa.index()
        assert report.action == "updated" and report.changed == ["notes/chess.txt"] and report.reused == 2
        assert report.embedded == summary.documents["notes/chess.txt"].passages
        after = {p.id: p for p in qa.store.iter_passages()}
        unchanged = {i for i, p in before.items() if p.source != "notes/chess.txt"}
        assert unchanged <= set(after), "passage ids of unchanged documents are stable keys"
        assert qa.ask("When does the chess club meet?").answer == "Fridays"
        _, again = qa.index()
        assert again is None and qa.status() == "fresh"

    def test_add_and_remove_one_document(self, settings, corpus):
        from qa import QA

        qa = QA(settings=settings)
        qa.index()
        (corpus / "zebras.txt").write_text("Zebras live in Kenya. The oldest known zebra lived for forty years.\n")
        report = qa.add_document(corpus / "zebras.txt")
        assert report.added == ["zebras.txt"] and report.reused == 3 and report.embedded >= 1
        ans = qa.ask("Where do zebras live?")
        assert ans.answer == "Kenya" and ans.citations[0].source == "zebras.txt"
        report = qa.remove_document("volcanoes.txt")
        assert report.removed == ["volcanoes.txt"] and not (corpus / "volcanoes.txt").exists()
        assert "volcanoes.txt" not in qa.summary.sources and qa.status() == "fresh"
        with pytest.raises(ValueError, match="not a file in the corpus folder"):
            qa.add_document("../outside.txt")

    def test_answers_cite_exact_offsets_with_entities_found_for_the_passages_read(self, settings, corpus):
        from qa import QA

        qa = QA(settings=settings)
        qa.index()
        hits = qa.retriever().retrieve("Who founded the Corner Bakery?", top_k=3)
        assert hits[0].passage.source == "bakery.md"
        assert ("PERSON", "Maria Lopez") in {(e.label, (corpus / "bakery.md").read_text()[e.start:e.end])
                                             for e in hits[0].passage.entities}
        ans = qa.ask("Who founded the Corner Bakery?")
        assert ans.answer == "Maria Lopez"
        c = ans.citations[0]
        assert (corpus / c.source).read_text()[c.start:c.end] == c.text
