"""Hybrid retrieval: dense (FAISS, MiniLM) and BM25 (bm25s) fused by reciprocal rank fusion.

    >>> retriever = HybridRetriever(index, embedder)          # doctest: +SKIP
    >>> hits = retriever.retrieve("Who met Macron?", top_k=3)  # doctest: +SKIP
    >>> hits[0].passage.source, round(hits[0].score, 3)       # doctest: +SKIP
    ('article.txt', 0.033)
"""

from __future__ import annotations

import numpy as np

from qa.index import Index
from qa.types import Hit


def rrf(rankings: list[list[int]], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack et al. 2009): sum of 1 / (k + rank) over rankings.

    >>> sorted(rrf([[1, 2], [2, 3]], k=0).items())
    [(1, 1.0), (2, 1.5), (3, 0.5)]
    """
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + rank + 1)
    return fused


class HybridRetriever:
    """Scores passages of an :class:`~qa.index.Index` for a query."""

    def __init__(self, index: Index, embedder, candidates: int = 30, rrf_k: int = 60, ef_search: int = 128) -> None:
        self.index = index
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        if hasattr(index.dense, "hnsw"):
            index.dense.hnsw.efSearch = max(ef_search, candidates)

    def dense(self, query_vec: np.ndarray, n: int) -> tuple[list[int], dict[int, float]]:
        n = min(n, self.index.dense.ntotal)
        scores, ids = self.index.dense.search(query_vec.reshape(1, -1), n)
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        return [i for i, _ in pairs], dict(pairs)

    def sparse(self, query: str, n: int) -> tuple[list[int], dict[int, float]]:
        tokens = self.index.bm25_tokenizer.tokenize([query], update_vocab=False, show_progress=False)
        n = min(n, len(self.index.passages))
        docs, scores = self.index.bm25.retrieve(tokens, k=n, show_progress=False, n_threads=0)  # 0: inline, no pool
        pairs = [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
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
        if missing:  # cosine for BM25-only hits, from the stored vectors
            for pid in missing:
                dense_scores[pid] = float(self.index.dense.reconstruct(pid) @ query_vec)
        return [
            Hit(self.index.passages[pid], fused[pid], dense_scores[pid], sparse_scores.get(pid, 0.0), rank)
            for rank, pid in enumerate(best)
        ]
