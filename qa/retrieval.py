"""Hybrid retrieval: a store's dense and keyword search fused by reciprocal rank fusion.

The retriever talks to the index only through the seam (:class:`~qa.index.base.PassageStore`),
so the same fusion runs over the local files (FAISS + BM25) and over PostgreSQL (pgvector +
full-text search).

    >>> retriever = HybridRetriever(store, embedder)          # doctest: +SKIP
    >>> hits = retriever.retrieve("Who met Macron?", top_k=3)  # doctest: +SKIP
    >>> hits[0].passage.source, round(hits[0].score, 3)       # doctest: +SKIP
    ('article.txt', 0.033)
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from qa.index.base import PassageStore
from qa.types import Hit


def rrf(rankings: list[list[Hashable]], k: int = 60) -> dict[Hashable, float]:
    """Reciprocal rank fusion (Cormack et al. 2009): sum of 1 / (k + rank) over rankings.

    >>> sorted(rrf([[1, 2], [2, 3]], k=0).items())
    [(1, 1.0), (2, 1.5), (3, 0.5)]
    """
    fused: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + rank + 1)
    return fused


class HybridRetriever:
    """Scores a store's passages for a query: dense and keyword candidates, fused, best ``top_k`` kept.

    ``tagger`` (an :class:`~qa.ingest.entities.EntityTagger`) gives the hits' passages their
    entities, found only when looked at.
    """

    def __init__(self, store: PassageStore, embedder, candidates: int = 30, rrf_k: int = 60, tagger=None) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.tagger = tagger

    def dense(self, query_vec: np.ndarray, n: int) -> tuple[list[str], dict[str, float]]:
        pairs = self.store.dense_search(query_vec, n)
        return [i for i, _ in pairs], dict(pairs)

    def sparse(self, query: str, n: int) -> tuple[list[str], dict[str, float]]:
        pairs = self.store.keyword_search(query, n)
        return [i for i, _ in pairs], dict(pairs)

    def retrieve(self, query: str, top_k: int = 5, query_vec: np.ndarray | None = None) -> list[Hit]:
        """The ``top_k`` best passages, best first. ``query_vec`` skips re-embedding the query."""
        if query_vec is None:
            query_vec = self.embedder.encode([query])[0]
        dense_ids, dense_scores = self.dense(query_vec, self.candidates)
        sparse_ids, sparse_scores = self.sparse(query, self.candidates)
        fused = rrf([dense_ids, sparse_ids], self.rrf_k)
        best = sorted(fused, key=lambda pid: (-fused[pid], pid))[:top_k]
        missing = [pid for pid in best if pid not in dense_scores]
        if missing:  # cosine for keyword-only hits, from the stored vectors
            dense_scores.update(self.store.similarity(missing, query_vec))
        passages = {p.id: p for p in self.store.passages(best)}
        best = [pid for pid in best if pid in passages]  # a passage removed since the search is left out
        found = [passages[pid] for pid in best]
        if self.tagger is not None:
            found = self.tagger.lazily(found)
        return [
            Hit(p, fused[pid], dense_scores.get(pid, 0.0), sparse_scores.get(pid, 0.0), rank)
            for rank, (pid, p) in enumerate(zip(best, found))
        ]
