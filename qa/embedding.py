"""Sentence embeddings with all-MiniLM-L6-v2 (sentence-transformers), normalized for cosine.

    >>> emb = Embedder()                                  # doctest: +SKIP
    >>> emb.encode(["Who met Macron?"]).shape             # doctest: +SKIP
    (1, 384)
"""

from __future__ import annotations

import threading

import numpy as np

from qa.models import minilm_path


class Embedder:
    """Encodes texts into L2-normalized float32 vectors; one model per process, thread-safe."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self._model = SentenceTransformer(str(minilm_path()), device="cpu")
        self.dim = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # the tokenizer is not safe to share between threads
            vecs = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)
