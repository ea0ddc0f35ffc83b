"""The local backend: passages, their vectors, FAISS and BM25 (bm25s) files in the index folder.

Layout of the index folder::

    CURRENT                 name of the live build folder (replaced atomically)
    build-<time>-<pid>/     manifest.json, passages.jsonl, vectors.npy, dense.faiss, bm25/, bm25_vocab/
    .lock                   held while updating, so two processes never write at once

An update writes a fresh ``build-*`` folder and only then points ``CURRENT`` at it, so a crash
or kill mid-update leaves the previous index in use. The stored vectors of unchanged documents
are copied into the new build, not recomputed. Loading checks the manifest and every file's
checksum; anything missing or corrupt raises :class:`IndexCorrupt` (the builder then rebuilds).
Other processes notice a new ``CURRENT`` at their next freshness check and load it.

    >>> store = LocalStore(Settings(index_dir="index"))   # doctest: +SKIP
    >>> store.dense_search(query_vec, 2)                  # doctest: +SKIP
    [('c90efc5142c899d5-9f86d08a6c1b4e2f-4', 0.61), ...]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.config import EMBEDDING_MODEL, INDEX_FORMAT_VERSION, Settings
from qa.index.base import Changes, IndexCorrupt, IndexMeta, StoredDocument, StoreStatus
from qa.index.build import write_atomic
from qa.ingest.files import Skipped
from qa.types import Passage

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
VECTORS = "vectors.npy"
DENSE = "dense.faiss"
# FAISS HNSW above settings.hnsw_threshold passages; efSearch 256: recall@10 0.985 against exact search on
# 100k synthetic passages at 0.65 ms a question (128: 0.969; 512: 0.991 at 1.16 ms); see BENCHMARKS.md
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 256
BM25_DIR = "bm25"
BM25_VOCAB = "bm25_vocab"
PRIVATE_SETTINGS = ("docs_dir", "index_dir", "database_url", "database_schema")  # never written into a manifest


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def bm25_tokenizer():
    """Lower-cased words, English stop words removed, Snowball-stemmed (PyStemmer)."""
    import Stemmer
    from bm25s.tokenization import Tokenizer

    return Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")


@dataclass
class LocalIndex:
    """One loaded build: passages (row order), their vectors, and the dense and sparse structures."""

    passages: list[Passage]
    rows: dict[str, int]  # passage id -> row
    vectors: np.ndarray  # (rows, dim), memory-mapped from vectors.npy
    dense: object  # faiss.Index over the vectors
    bm25: object | None  # bm25s.BM25 (None: no passages)
    bm25_tokenizer: object | None
    manifest: dict
    folder: Path

    @property
    def skipped(self) -> list[Skipped]:
        return [Skipped(**s) for s in self.manifest.get("skipped", [])]

    @property
    def sources(self) -> list[str]:
        return sorted(self.manifest.get("documents", {}))


def empty_index() -> LocalIndex:
    """The index before the first build: searches find nothing."""
    import faiss

    return LocalIndex([], {}, np.zeros((0, 384), np.float32), faiss.IndexFlatIP(384), None, None, {}, Path())


class LocalStore:
    """The :class:`~qa.index.base.PassageStore` kept in ``settings.index_dir`` (the embedded default)."""

    backend = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = Path(settings.index_dir)
        self.where = str(self.folder)
        self._index: LocalIndex | None = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ reading

    def current_folder(self) -> Path | None:
        """The live build folder named by ``CURRENT``, if there is one."""
        try:
            name = (self.folder / CURRENT).read_text(encoding="utf-8").strip()
        except (OSError, ValueError):  # ValueError: not UTF-8 (a damaged pointer)
            return None
        folder = self.folder / name
        return folder if name.startswith("build-") and folder.is_dir() else None

    def _manifest(self) -> tuple[dict | None, str]:
        folder = self.current_folder()
        if folder is None:
            return None, ""
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict) or not isinstance(manifest.get("documents"), dict):
                raise ValueError("not a manifest")
            return manifest, ""
        except (OSError, ValueError):
            return None, "the index was unreadable"

    def meta(self) -> IndexMeta:
        manifest, problem = self._manifest()
        if manifest is None:
            return IndexMeta(problem=problem)
        if manifest.get("format") != INDEX_FORMAT_VERSION:
            return IndexMeta(problem="the index format changed")
        try:
            return IndexMeta(manifest.get("fingerprint"), dict(manifest.get("signature") or {}),
                             [Skipped(**x) for x in manifest.get("skipped", [])], int(manifest.get("generation", 0)))
        except (TypeError, ValueError):
            return IndexMeta(problem="the index was unreadable")

    def documents(self) -> dict[str, StoredDocument]:
        manifest, _ = self._manifest()
        if manifest is None:
            return {}
        try:
            return {src: StoredDocument(src, d["hash"], int(d["passages"])) for src, d in manifest["documents"].items()}
        except (KeyError, TypeError, ValueError):
            return {}

    def open(self) -> None:
        self.loaded()

    def loaded(self) -> LocalIndex:
        """The live build, loaded (again, if ``CURRENT`` moved since). Raises :class:`IndexCorrupt`."""
        folder = self.current_folder()
        with self._lock:
            if self._index is not None and folder == self._index.folder:
                return self._index
            if folder is None:
                raise IndexCorrupt("there is no index yet")
            try:
                self._index = load_build(folder)
            except IndexCorrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - any damage means: rebuild
                raise IndexCorrupt(type(exc).__name__) from exc
            return self._index

    def _live(self) -> LocalIndex:
        """The loaded build; an empty one while no index was ever built (searches then find nothing)."""
        if self._index is None and self.current_folder() is None:
            return empty_index()
        return self.loaded()

    def dense_search(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        index = self._live()
        n = min(n, index.dense.ntotal)
        if n <= 0:
            return []
        scores, rows = index.dense.search(np.asarray(vector, np.float32).reshape(1, -1), n)
        return [(index.passages[r].id, float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def keyword_search(self, query: str, n: int) -> list[tuple[str, float]]:
        index = self._live()
        if index.bm25 is None:
            return []
        tokens = index.bm25_tokenizer.tokenize([query], update_vocab=False, show_progress=False)
        n = min(n, len(index.passages))
        docs, scores = index.bm25.retrieve(tokens, k=n, show_progress=False, n_threads=0)  # 0: inline, no pool
        return [(index.passages[int(d)].id, float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def passages(self, ids: Sequence[str]) -> list[Passage]:
        index = self._live()
        return [index.passages[index.rows[i]] for i in ids if i in index.rows]

    def similarity(self, ids: Sequence[str], vector: np.ndarray) -> dict[str, float]:
        index = self._live()
        known = [i for i in ids if i in index.rows]
        if not known:
            return {}
        vecs = np.asarray(index.vectors[[index.rows[i] for i in known]], np.float32)
        return dict(zip(known, (vecs @ np.asarray(vector, np.float32)).tolist()))

    def iter_passages(self) -> Iterator[Passage]:
        yield from self._live().passages

    def vectors(self) -> tuple[list[str], np.ndarray]:
        index = self._live()
        return [p.id for p in index.passages], np.asarray(index.vectors, np.float32)

    def status(self) -> StoreStatus:
        index = self._live()
        folder = self.current_folder()
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder else 0
        if hasattr(index.dense, "hnsw"):
            dense = f"FAISS HNSW (M {HNSW_M}, efConstruction {HNSW_EF_CONSTRUCTION}, efSearch {index.dense.hnsw.efSearch})"
        else:
            dense = "exact (FAISS IndexFlatIP)"
        return StoreStatus(self.backend, self.where, len(index.manifest.get("documents", {})), len(index.passages),
                           size, dense, int(index.manifest.get("generation", 0)))

    def close(self) -> None:
        with self._lock:
            self._index = None

    # ------------------------------------------------------------------ writing

    def writing(self):
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.folder / ".lock"))

    def apply(self, changes: Changes) -> None:
        """Write a new build with ``changes`` applied (unchanged documents' vectors copied) and switch to it."""
        try:
            old = None if changes.replace_all else self.loaded()
        except IndexCorrupt:
            old = None
        dropped = set(changes.removals) | {d.source for d in changes.upserts}
        parts: dict[str, tuple[list[Passage], np.ndarray, str]] = {}
        documents = {} if old is None else old.manifest["documents"]
        if old is not None:
            rows_of: dict[str, list[int]] = {}
            for row, p in enumerate(old.passages):
                rows_of.setdefault(p.source, []).append(row)
            for source, rows in rows_of.items():
                if source not in dropped:
                    parts[source] = ([old.passages[r] for r in rows], np.asarray(old.vectors[rows], np.float32),
                                     documents[source]["hash"])
        for d in changes.upserts:
            parts[d.source] = (d.passages, np.asarray(d.vectors, np.float32), d.content_hash)
        order = sorted(parts)
        passages = [p for src in order for p in parts[src][0]]
        vectors = (np.concatenate([parts[src][1] for src in order]) if passages
                   else np.zeros((0, 384), np.float32))
        docs = {src: {"hash": parts[src][2], "passages": len(parts[src][0])} for src in order}
        generation = (0 if old is None else int(old.manifest.get("generation", 0))) + 1
        self._commit(passages, vectors, docs, changes, generation)

    def _commit(self, passages: list[Passage], vectors: np.ndarray, docs: dict, changes: Changes,
                generation: int) -> None:
        """Write a new build folder with its manifest, then point CURRENT at it (atomically)."""
        s = self.settings
        folder = self.folder / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        folder.mkdir(parents=True)
        try:
            dense = self.faiss_index(vectors)
            bm25, tokenizer = self.bm25_index(passages)
            self.write_files(folder, passages, vectors, dense, bm25, tokenizer)
            manifest = {
                "format": INDEX_FORMAT_VERSION,
                "fingerprint": changes.fingerprint,
                "embedding_model": EMBEDDING_MODEL,
                "settings": {k: v for k, v in s.as_dict().items() if k not in PRIVATE_SETTINGS},
                "documents": docs,
                "signature": changes.signature,
                "skipped": [asdict(x) for x in changes.skipped],
                "passages": len(passages),
                "generation": generation,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "files": {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()},
            }
            write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1))
            write_atomic(self.folder / CURRENT, folder.name)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.remove_old_builds(keep=folder.name)
        with self._lock:
            self._index = LocalIndex(passages, {p.id: i for i, p in enumerate(passages)},
                                     np.load(folder / VECTORS, mmap_mode="r"), dense, bm25, tokenizer, manifest, folder)

    def faiss_index(self, vectors: np.ndarray):
        """Exact inner-product search below ``settings.hnsw_threshold`` passages, HNSW (M 32) above."""
        import faiss

        dim = vectors.shape[1] if vectors.ndim == 2 else 384
        if len(vectors) < self.settings.hnsw_threshold:
            index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, np.float32))
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return index

    @staticmethod
    def bm25_index(passages: list[Passage]):
        import bm25s

        if not passages:
            return None, None
        tokenizer = bm25_tokenizer()
        ids = tokenizer.tokenize([p.indexed_text for p in passages], show_progress=False, return_as="tuple")
        bm25 = bm25s.BM25()
        bm25.index(ids, show_progress=False)
        return bm25, tokenizer

    def write_files(self, folder: Path, passages: list[Passage], vectors: np.ndarray, dense, bm25, tokenizer) -> None:
        """The data files of a build (no manifest yet), each flushed to disk."""
        import faiss

        with open(folder / PASSAGES, "w", encoding="utf-8") as fh:
            for p in passages:
                fh.write(json.dumps({"id": p.id, "source": p.source, "start": p.start, "end": p.end, "text": p.text,
                                     "heading": p.heading, "page": p.page}, ensure_ascii=False) + "\n")
        np.save(folder / VECTORS, np.ascontiguousarray(vectors, np.float32))
        faiss.write_index(dense, str(folder / DENSE))
        if bm25 is not None:
            bm25.save(str(folder / BM25_DIR), show_progress=False)
            tokenizer.save_vocab(str(folder / BM25_VOCAB))
        for path in folder.rglob("*"):
            if path.is_file():
                with open(path, "rb") as fh:
                    os.fsync(fh.fileno())

    def remove_old_builds(self, keep: str) -> None:
        """Earlier builds, and what a killed build left behind (caller holds the lock)."""
        for old in self.folder.glob("build-*"):
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)
        for tmp in self.folder.glob(f".{CURRENT}.*.tmp"):
            tmp.unlink(missing_ok=True)


def load_build(folder: Path) -> LocalIndex:
    """Load one build folder, checking every file against the manifest's checksums."""
    import bm25s
    import faiss

    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        if sha256_file(folder / name) != digest:
            raise IndexCorrupt(f"{name} does not match its checksum")
    passages = []
    with open(folder / PASSAGES, encoding="utf-8") as fh:
        for line in fh:
            passages.append(Passage(**json.loads(line)))
    dense = faiss.read_index(str(folder / DENSE))
    vectors = np.load(folder / VECTORS, mmap_mode="r")
    if not (dense.ntotal == len(passages) == len(vectors) == manifest.get("passages")):
        raise IndexCorrupt("passage count mismatch")
    if hasattr(dense, "hnsw"):
        dense.hnsw.efSearch = HNSW_EF_SEARCH
    bm25 = tokenizer = None
    if passages:
        bm25 = bm25s.BM25.load(str(folder / BM25_DIR), load_corpus=False)
        tokenizer = bm25_tokenizer()
        tokenizer.load_vocab(str(folder / BM25_VOCAB))
    return LocalIndex(passages, {p.id: i for i, p in enumerate(passages)}, vectors, dense, bm25, tokenizer,
                      manifest, folder)
