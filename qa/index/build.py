"""Building the index: freshness of the corpus against what is stored, and timing of the build stages."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

from qa.config import Settings
from qa.ingest.files import iter_files, source_of


def corpus_signature(settings: Settings) -> dict[str, list[int]]:
    """Cheap fingerprint of the corpus folder: {source: [size, mtime_ns]} (no file reads)."""
    root = settings.docs_dir
    sig = {}
    if not root.is_dir():
        return sig
    for path in iter_files(root, settings.extensions):
        try:
            st = path.stat()
            sig[source_of(path, root)] = [st.st_size, st.st_mtime_ns]
        except (OSError, RuntimeError):  # broken link, loop, gone: listed all the same, as skipped
            sig[source_of(path, root)] = [-1, -1]
    return sig


@contextmanager
def timed(stages: dict[str, float], name: str):
    """Add the seconds the ``with`` block took to ``stages[name]``."""
    t = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - t


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
