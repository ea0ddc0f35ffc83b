"""The on-disk index: passages, FAISS embeddings, BM25 and a manifest; built atomically.

Layout of the index folder::

    CURRENT                 name of the live build folder (replaced atomically)
    build-<time>-<pid>/     manifest.json, passages.jsonl, dense.faiss, bm25/, bm25_vocab/
    .lock                   held while building, so two processes never build at once

A build writes a fresh ``build-*`` folder and only then points ``CURRENT`` at it, so a crash
or kill mid-build leaves the previous index in use. Loading checks the manifest (documents,
settings, format, file checksums); anything missing, stale or corrupt is rebuilt.

    >>> store = IndexStore(Settings())                    # doctest: +SKIP
    >>> index, report = store.load_or_build()             # doctest: +SKIP
    >>> report.action if report else "loaded"             # doctest: +SKIP
    'built'
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.config import EMBEDDING_MODEL, INDEX_FORMAT_VERSION, Settings
from qa.index.base import BuildReport, EmptyCorpusError, IndexCorrupt, Progress
from qa.index.build import corpus_signature, timed, write_atomic
from qa.ingest.files import Skipped, load_documents
from qa.ingest.split import PassageSplitter
from qa.types import Entity, Passage

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
BM25_VOCAB = "bm25_vocab"


@dataclass
class Index:
    """A loaded index: passages plus the dense and sparse structures over them."""

    passages: list[Passage]
    dense: object  # faiss.Index
    bm25: object  # bm25s.BM25
    bm25_tokenizer: object  # bm25s.tokenization.Tokenizer
    manifest: dict
    folder: Path

    @property
    def skipped(self) -> list[Skipped]:
        return [Skipped(**s) for s in self.manifest.get("skipped", [])]

    @property
    def sources(self) -> list[str]:
        return sorted(self.manifest.get("documents", {}))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()



def bm25_tokenizer():
    """Lower-cased words, English stop words removed, Snowball-stemmed (PyStemmer)."""
    import Stemmer
    from bm25s.tokenization import Tokenizer

    return Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")


class IndexStore:
    """Builds, validates and loads the index kept in ``settings.index_dir``."""

    def __init__(self, settings: Settings, embedder_factory: Callable[[], object] | None = None,
                 splitter_factory: Callable[[], PassageSplitter] | None = None) -> None:
        self.settings = settings
        self.folder = Path(settings.index_dir)
        self._embedder_factory = embedder_factory
        self._splitter_factory = splitter_factory
        self._embedder = None

    # ------------------------------------------------------------------ public

    def load_or_build(self, progress: Progress | None = None) -> tuple[Index, BuildReport | None]:
        """The index if it is fresh; otherwise build it (under the lock) and return the report."""
        index, why = self._try_load()
        if index is not None:
            return index, None
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.folder / ".lock")):
            index, why2 = self._try_load()  # another process may have built it meanwhile
            if index is not None:
                return index, None
            return self.build(progress, reason=why)

    def status(self) -> str:
        """"fresh", or why the index needs building ("missing", "documents changed", ...)."""
        _, why = self._try_load(check_only=True)
        return why or "fresh"

    def build(self, progress: Progress | None = None, reason: str = "requested") -> tuple[Index, BuildReport]:
        """Build a new index from the corpus and switch to it atomically. Caller holds the lock."""
        t0 = time.perf_counter()
        progress = progress or (lambda stage, done, total: None)
        s = self.settings
        signature = corpus_signature(s)
        docs, skipped = load_documents(s.docs_dir, s.extensions, s.max_file_bytes)
        if not docs:
            raise EmptyCorpusError(self._empty_message(skipped))
        existed = self._current_folder() is not None
        stages = {"read": time.perf_counter() - t0}

        progress("splitting documents", 0, len(docs))
        splitter = self._splitter()
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            progress("splitting documents", done[0], len(docs))

        with timed(stages, "split (spaCy)"):
            passages = splitter.split(docs, progress=tick)
        with timed(stages, "embed"):
            vectors = self._embed([p.indexed_text for p in passages], progress)
        progress("indexing", 0, 1)
        with timed(stages, "FAISS + BM25"):
            dense = self._faiss(vectors)
            bm25, tokenizer = self._bm25(passages)
        with timed(stages, "write"):
            folder, manifest = self._commit(docs, skipped, signature, passages, dense, bm25, tokenizer)
        progress("indexing", 1, 1)
        index = Index(passages, dense, bm25, tokenizer, manifest, folder)
        report = BuildReport("rebuilt" if existed else "built", reason, len(docs), len(passages),
                             skipped, time.perf_counter() - t0, stages)
        return index, report

    # ----------------------------------------------------------------- loading

    def _current_folder(self) -> Path | None:
        try:
            name = (self.folder / CURRENT).read_text(encoding="utf-8").strip()
        except (OSError, ValueError):  # ValueError: not UTF-8 (a damaged pointer)
            return None
        folder = self.folder / name
        return folder if name.startswith("build-") and folder.is_dir() else None

    def _try_load(self, check_only: bool = False) -> tuple[Index | None, str | None]:
        folder = self._current_folder()
        if folder is None:
            return None, "no index yet"
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, "the index was unreadable"
        try:
            why = self._stale_reason(manifest)
        except (AttributeError, KeyError, TypeError):  # valid JSON, but not a manifest we wrote
            return None, "the index was unreadable"
        if why:
            return None, why
        if check_only:
            return None, None
        try:
            return self._load(folder, manifest), None
        except Exception as exc:  # noqa: BLE001 - any damage means: rebuild
            return None, f"the index was damaged ({type(exc).__name__})"

    def _stale_reason(self, manifest: dict) -> str | None:
        s = self.settings
        if manifest.get("format") != INDEX_FORMAT_VERSION:
            return "the index format changed"
        if manifest.get("fingerprint") != s.index_fingerprint():
            return "settings changed"
        signature = corpus_signature(s)
        if signature == manifest.get("signature"):
            return None
        # sizes or times differ: compare contents before deciding it is stale
        if set(signature) != set(manifest.get("documents", {})) | {x["source"] for x in manifest.get("skipped", [])}:
            return "documents were added or removed"
        docs, skipped = load_documents(s.docs_dir, s.extensions, s.max_file_bytes)
        current = {d.source: hashlib.sha256(d.text.encode()).hexdigest() for d in docs}
        if current != manifest.get("documents") or [asdict(x) for x in skipped] != manifest.get("skipped"):
            return "documents changed"
        return None

    def _load(self, folder: Path, manifest: dict) -> Index:
        import bm25s
        import faiss

        for name, digest in manifest["files"].items():
            if sha256_file(folder / name) != digest:
                raise IndexCorrupt(f"{name} does not match its checksum")
        passages = []
        with open(folder / PASSAGES, encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                d["entities"] = tuple(Entity(*e) for e in d.get("entities", []))
                passages.append(Passage(**d))
        dense = faiss.read_index(str(folder / DENSE))
        if dense.ntotal != len(passages) or manifest.get("passages") != len(passages):
            raise IndexCorrupt("passage count mismatch")
        bm25 = bm25s.BM25.load(str(folder / BM25_DIR), load_corpus=False)
        tokenizer = bm25_tokenizer()
        tokenizer.load_vocab(str(folder / BM25_VOCAB))
        return Index(passages, dense, bm25, tokenizer, manifest, folder)

    # ---------------------------------------------------------------- building

    def _splitter(self) -> PassageSplitter:
        if self._splitter_factory:
            return self._splitter_factory()
        return PassageSplitter(passage_words=self.settings.passage_words,
                               overlap_sentences=self.settings.passage_overlap_sentences)

    def embedder(self):
        if self._embedder is None:
            if self._embedder_factory is None:
                from qa.embedding import Embedder

                self._embedder = Embedder(self.settings.embed_batch_size)
            else:
                self._embedder = self._embedder_factory()
        return self._embedder

    def _embed(self, texts: list[str], progress: Progress) -> np.ndarray:
        emb = self.embedder()
        chunk = 512
        parts = []
        for lo in range(0, len(texts), chunk):
            progress("embedding passages", lo, len(texts))
            parts.append(emb.encode(texts[lo : lo + chunk]))
        progress("embedding passages", len(texts), len(texts))
        return np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)

    def _faiss(self, vectors: np.ndarray):
        import faiss

        dim = vectors.shape[1]
        if len(vectors) < self.settings.hnsw_threshold:
            index = faiss.IndexFlatIP(dim)  # exact search: cheap at this size
        else:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        index.add(vectors)
        return index

    @staticmethod
    def _bm25(passages: list[Passage]):
        import bm25s

        tokenizer = bm25_tokenizer()
        ids = tokenizer.tokenize([p.indexed_text for p in passages], show_progress=False, return_as="tuple")
        bm25 = bm25s.BM25()
        bm25.index(ids, show_progress=False)
        return bm25, tokenizer

    def _commit(self, docs, skipped, signature, passages, dense, bm25, tokenizer) -> tuple[Path, dict]:
        """Write a new build folder with its manifest, then point CURRENT at it (atomically)."""
        s = self.settings
        folder = self.folder / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        folder.mkdir(parents=True)
        try:
            self.write_files(folder, passages, dense, bm25, tokenizer)
            manifest = {
                "format": INDEX_FORMAT_VERSION,
                "fingerprint": s.index_fingerprint(),
                "embedding_model": EMBEDDING_MODEL,
                "settings": {k: v for k, v in s.as_dict().items() if k not in ("docs_dir", "index_dir")},
                "documents": {d.source: hashlib.sha256(d.text.encode()).hexdigest() for d in docs},
                "signature": signature,
                "skipped": [asdict(x) for x in skipped],
                "passages": len(passages),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "files": {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()},
            }
            write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1))
            write_atomic(self.folder / CURRENT, folder.name)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._remove_old_builds(keep=folder.name)
        return folder, manifest

    def write_files(self, folder: Path, passages: list[Passage], dense, bm25, tokenizer) -> None:
        import faiss

        with open(folder / PASSAGES, "w", encoding="utf-8") as fh:
            for p in passages:
                d = asdict(p)
                d["entities"] = [[e.start, e.end, e.label] for e in p.entities]
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        faiss.write_index(dense, str(folder / DENSE))
        bm25.save(str(folder / BM25_DIR), show_progress=False)
        tokenizer.save_vocab(str(folder / BM25_VOCAB))
        for path in folder.rglob("*"):
            if path.is_file():
                with open(path, "rb") as fh:
                    os.fsync(fh.fileno())

    def _remove_old_builds(self, keep: str) -> None:
        """Earlier builds, and what a killed build left behind (caller holds the lock)."""
        for old in self.folder.glob("build-*"):
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)
        for tmp in self.folder.glob(f".{CURRENT}.*.tmp"):
            tmp.unlink(missing_ok=True)

    def _empty_message(self, skipped: list[Skipped]) -> str:
        where = self.settings.docs_dir
        if not skipped:
            return f"The corpus folder {where} holds no .txt or .md document. Add some and ask again."
        reasons = "; ".join(f"{s.source}: {s.reason}" for s in skipped[:5])
        if len(skipped) > 5:
            reasons += f"; and {len(skipped) - 5} more"
        return f"No document in {where} could be indexed ({reasons})."

