"""Keep an index in step with the corpus folder, re-splitting and re-embedding only what changed.

Each document is known by the SHA-256 of its file (``hashlib.file_digest``). An update compares
the folder with the documents the store holds: a new or changed file is read, split and embedded;
an unchanged one keeps its stored passages and vectors; a file that is gone (or now skipped) is
removed. The store applies all of it in one step, under its writer lock, so two builders at once
leave one consistent index and a killed one leaves the previous index answering.

    >>> builder = IndexBuilder(settings, store, embedder)      # doctest: +SKIP
    >>> builder.stale_reason()                                 # doctest: +SKIP
    'documents changed'
    >>> print(builder.update().summary())                      # doctest: +SKIP
    Updated the index (documents changed): 200 document(s), 10000 passage(s) in 1.9 s ...
"""

from __future__ import annotations

import hashlib
import itertools
import os
import stat
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.index.base import (
    BuildReport,
    Changes,
    DocumentPassages,
    EmptyCorpusError,
    IndexCorrupt,
    PassageStore,
    Progress,
    passage_id,
)
from qa.ingest import files
from qa.ingest.files import Skipped, read_document, source_of
from qa.ingest.split import PassageSplitter
from qa.types import Document


def corpus_signature(settings: Settings, paths: Iterable[Path] | None = None) -> dict[str, list[int]]:
    """Cheap fingerprint of the corpus folder: {source: [size, mtime_ns]} (no file reads); of
    ``paths`` (files of the corpus already listed) when given."""
    root = settings.docs_dir
    sig = {}
    if not root.is_dir():
        return sig
    for path in files.iter_files(root, settings.extensions) if paths is None else paths:
        try:
            st = path.stat()
            sig[source_of(path, root)] = [st.st_size, st.st_mtime_ns]
        except (OSError, RuntimeError):  # broken link, loop, gone: listed all the same, as skipped
            sig[source_of(path, root)] = [-1, -1]
    return sig


def file_hash(path: Path, max_bytes: int) -> str | None:
    """SHA-256 of a plain file's bytes, or None where :func:`read_document` must judge it
    (a symbolic link, not a regular file, over the size limit, unreadable)."""
    try:
        if path.is_symlink():
            return None
        st = path.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


class IndexBuilder:
    """Brings a :class:`~qa.index.base.PassageStore` up to date with ``settings.docs_dir``.

    ``embedder`` and ``splitter`` are factories, called only when something must be embedded or
    split, so a fresh index costs no model load.
    """

    def __init__(self, settings: Settings, store: PassageStore, embedder: Callable[[], object],
                 splitter: Callable[[], PassageSplitter] | None = None) -> None:
        self.settings = settings
        self.store = store
        self._embedder = embedder
        self._splitter = splitter or (lambda: PassageSplitter(passage_words=settings.passage_words,
                                                              overlap_sentences=settings.passage_overlap_sentences))

    # ---------------------------------------------------------------- freshness

    def stale_reason(self) -> str | None:
        """None if the store holds exactly the corpus as it is now, else why not (cheap when fresh:
        file sizes and times; hashes only of files whose size or time changed)."""
        s = self.settings
        meta = self.store.meta()
        if meta.fingerprint is None:
            return meta.problem or "no index yet"
        if meta.fingerprint != s.index_fingerprint():
            return "settings changed"
        signature = corpus_signature(s)
        if signature == meta.signature:
            return None
        stored = self.store.documents()
        skipped = {x.source: x.reason for x in meta.skipped}
        if set(signature) != set(stored) | set(skipped):
            return "documents were added or removed"
        for source, st in signature.items():
            if meta.signature.get(source) == st:
                continue
            path = s.docs_dir / source
            known = stored.get(source)
            if known is not None and file_hash(path, s.max_file_bytes) == known.content_hash:
                continue  # touched, not changed
            result = read_document(path, s.docs_dir, s.max_file_bytes)
            if not isinstance(result, Skipped) or result.reason != skipped.get(source):
                return "documents changed"
        return None

    def ensure(self, progress: Progress | None = None) -> BuildReport | None:
        """Make the index answer for the corpus as it is: None if it already did, else the update's report."""
        reason = self.stale_reason()
        if reason is None:
            try:
                self.store.open()
                return None
            except IndexCorrupt as exc:
                reason = f"the index was damaged ({exc})"
                return self.update(progress, reason=reason, force=True)
        return self.update(progress, reason=reason)

    # ----------------------------------------------------------------- updating

    def update(self, progress: Progress | None = None, reason: str | None = None, force: bool = False,
               only: Iterable[str] | None = None) -> BuildReport | None:
        """Update the store (under its writer lock). ``force``: re-split and re-embed everything.
        ``only``: look at these sources alone (added, changed or gone), leaving the rest as stored.

        Returns None when, once the lock was held, there was nothing to do (another process did it)."""
        with self.store.writing():
            if not force and only is None and reason is not None and self.stale_reason() is None:
                try:
                    self.store.open()
                    return None  # another builder brought it up to date while we waited for the lock
                except IndexCorrupt as exc:
                    reason, force = f"the index was damaged ({exc})", True
            return self._update(progress or (lambda stage, done, total: None), reason or "requested", force, only)

    def _update(self, progress: Progress, reason: str, force: bool, only: Iterable[str] | None) -> BuildReport:
        t0 = time.perf_counter()
        s = self.settings
        stages: dict[str, float] = {}
        meta = self.store.meta()
        replace_all = force or meta.fingerprint != s.index_fingerprint()
        stored = {} if replace_all else self.store.documents()
        if not s.docs_dir.is_dir():
            raise FileNotFoundError(f"The corpus folder {s.docs_dir} does not exist")
        listed = list(files.iter_files(s.docs_dir, s.extensions))  # one walk: the signature is of what is read
        signature = corpus_signature(s, listed)
        wanted = None if only is None else set(only)
        if wanted is not None and replace_all:
            wanted = None  # settings changed: every document must be redone anyway
        progress("reading documents", 0, len(signature))
        fresh: list[tuple[Document, str]] = []
        kept: list[str] = []
        skipped: list[Skipped] = [] if wanted is None else [x for x in meta.skipped if x.source not in wanted]
        seen: set[str] = set()
        with timed(stages, "read"):
            paths = listed if wanted is None else [s.docs_dir / src for src in sorted(wanted) if src in signature]
            for i, path in enumerate(paths):
                source = source_of(path, s.docs_dir)
                seen.add(source)
                known = stored.get(source)
                digest = file_hash(path, s.max_file_bytes)
                if known is not None and digest == known.content_hash:
                    kept.append(source)
                    continue
                result = read_document(path, s.docs_dir, s.max_file_bytes)
                if isinstance(result, Skipped):
                    skipped.append(result)
                    continue
                if digest is None:  # a symbolic link inside the corpus: hash what was read
                    digest = hashlib.sha256(result.text.encode("utf-8", "surrogateescape")).hexdigest()
                fresh.append((result, digest))
                if i % 50 == 0:
                    progress("reading documents", i, len(signature))
        progress("reading documents", len(signature), len(signature))
        if wanted is None:
            removals = sorted(set(stored) - {src for src in kept})
        else:
            kept = sorted(set(stored) - wanted) + kept
            removals = sorted(src for src in wanted if src in stored and src not in kept)
        if not fresh and not kept:
            raise EmptyCorpusError(self._empty_message(skipped))

        upserts = self._passages(fresh, progress, stages)
        skipped.sort(key=lambda x: x.source)
        if wanted is not None:  # only those files were looked at: keep the others' signature as stored
            signature = {**{k: v for k, v in meta.signature.items() if k not in wanted},
                         **{k: v for k, v in signature.items() if k in wanted}}
        changes = Changes(upserts, removals, skipped, s.index_fingerprint(), signature, replace_all)
        progress("indexing", 0, 1)
        with timed(stages, "store"):
            self.store.apply(changes)
        progress("indexing", 1, 1)
        documents = self.store.documents()
        action = "built" if meta.fingerprint is None and not meta.problem else "rebuilt" if replace_all else "updated"
        new = [d.source for d in upserts]
        return BuildReport(
            action, reason, len(documents), sum(d.passages for d in documents.values()), skipped,
            time.perf_counter() - t0, stages,
            added=[x for x in new if x not in stored], changed=[x for x in new if x in stored],
            removed=[x for x in removals if x not in new], reused=len(kept),
            embedded=sum(len(d.passages) for d in upserts),
        )

    def _passages(self, fresh: list[tuple[Document, str]], progress: Progress,
                  stages: dict[str, float]) -> list[DocumentPassages]:
        """Split and embed the new or changed documents; passage ids from source, hash and ordinal."""
        if not fresh:
            return []
        docs = [d for d, _ in fresh]
        hashes = {d.source: h for d, h in fresh}
        progress("splitting documents", 0, len(docs))
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            progress("splitting documents", done[0], len(docs))

        with timed(stages, "split"):
            passages = self._splitter().split(docs, progress=tick)
        with timed(stages, "embed"):
            vectors = self._embed([p.indexed_text for p in passages], progress)
        out, row = [], 0
        by_source = {source: list(group) for source, group in itertools.groupby(passages, key=lambda p: p.source)}
        for doc in docs:
            group = by_source.get(doc.source, [])
            ids = [passage_id(doc.source, hashes[doc.source], i) for i in range(len(group))]
            out.append(DocumentPassages(doc.source, hashes[doc.source],
                                        [replace(p, id=pid) for p, pid in zip(group, ids)],
                                        vectors[row : row + len(group)]))
            row += len(group)
        return out

    def _embed(self, texts: list[str], progress: Progress) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        emb = self._embedder()
        chunk = 512
        parts = []
        for lo in range(0, len(texts), chunk):
            progress("embedding passages", lo, len(texts))
            parts.append(emb.encode(texts[lo : lo + chunk]))
        progress("embedding passages", len(texts), len(texts))
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    def _empty_message(self, skipped: list[Skipped]) -> str:
        where = self.settings.docs_dir
        if not skipped:
            kinds = ", ".join(self.settings.extensions)
            return f"The corpus folder {where} holds no document ({kinds}). Add some and ask again."
        reasons = "; ".join(f"{s.source}: {s.reason}" for s in skipped[:5])
        if len(skipped) > 5:
            reasons += f"; and {len(skipped) - 5} more"
        return f"No document in {where} could be indexed ({reasons})."


@contextmanager
def timed(stages: dict[str, float], name: str):
    """Add the seconds the ``with`` block took to ``stages[name]``."""
    t = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - t


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers see old or new, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
