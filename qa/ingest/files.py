"""Read the corpus folder: every wanted file as a :class:`Document`, or :class:`Skipped` with why.

    >>> from qa.ingest.files import load_documents
    >>> docs, skipped = load_documents("source_docs")          # doctest: +SKIP
    >>> docs[0].source                                         # doctest: +SKIP
    'us-ukraine-peace-talks-2025-12-02.txt'
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.config import DEFAULT_MAX_FILE_BYTES
from qa.ingest.convert import EXTENSIONS
from qa.types import Document


@dataclass(frozen=True)
class Skipped:
    """A file left out of the index, and why (shown to the user by the CLI and UI)."""

    source: str
    reason: str



def iter_files(root: Path, extensions: tuple[str, ...]) -> Iterator[Path]:
    """Files under ``root`` with a wanted extension, sorted, not descending into symlinked dirs."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(extensions):
                yield Path(dirpath) / name


def source_of(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with ``/`` separators, as the index and citations name it.

    Bytes of a file name that are not UTF-8 are shown as ``\\xNN``, so the name is always
    printable (such a file is skipped by :func:`read_document`).
    """
    rel = path.relative_to(root).as_posix()
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_document(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Document | Skipped:
    """Read one file as UTF-8 text, or say why it can't be indexed."""
    source = source_of(path, root)
    try:
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except FileNotFoundError:
                return Skipped(source, "broken symbolic link (its target does not exist)")
            except (OSError, RuntimeError):  # RuntimeError: a symlink loop, on Python 3.11
                return Skipped(source, "symbolic link that loops or can't be followed")
            if not target.is_relative_to(root.resolve()):
                return Skipped(source, "symbolic link to a file outside the corpus folder")
        if source != path.relative_to(root).as_posix():
            return Skipped(source, "the file name is not valid UTF-8 (rename the file)")
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            return Skipped(source, "not a regular file")
        if st.st_size > max_bytes:
            return Skipped(source, f"too large ({st.st_size / 2**20:.1f} MB; the limit is "
                                   f"{max_bytes / 2**20:g} MB, set QA_MAX_FILE_MB to change it)")
        with open(path, "rb") as fh:
            raw = fh.read(st.st_size + 1)  # one byte more than stat() said shows if it has grown
            if len(raw) > st.st_size:
                raw += fh.read(max_bytes + 1 - len(raw))  # never more than the limit
        if len(raw) > max_bytes:
            return Skipped(source, f"too large (it grew past the limit of {max_bytes / 2**20:g} MB while being read)")
    except FileNotFoundError:
        return Skipped(source, "disappeared while the corpus was being read")
    except OSError as exc:
        return Skipped(source, f"unreadable ({exc.strerror or exc})")
    if not path.name.lower().endswith((".txt", ".md")):
        return convert_document(source, raw, path.name)
    from qa.ingest.convert import ConversionError
    from qa.ingest.convert.sniff import check_kind, sniff

    if sniff(raw)[0] in ("pdf", "zip"):  # a PDF or Word file named .txt: say what it is
        try:
            check_kind(raw, path.name)
        except ConversionError as exc:
            return Skipped(source, exc.reason)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Skipped(source, "UTF-16 text, not UTF-8 (save it as UTF-8)")
    if b"\x00" in raw[:8192]:
        return Skipped(source, "binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Skipped(source, "not UTF-8 text (save it as UTF-8)")
    if not text.strip():
        return Skipped(source, "empty file")
    return Document(source, text)


def convert_document(source: str, raw: bytes, name: str) -> Document | Skipped:
    """A PDF, HTML or Word file's converted text (converted once per content, in a child
    process with limits: :mod:`qa.ingest.convert`), or why it can't be indexed."""
    from qa.ingest.convert import ConversionError
    from qa.ingest.convert.cache import ConvertedCache

    try:
        c = ConvertedCache().convert(raw, name)
    except ConversionError as exc:
        return Skipped(source, exc.reason)
    return Document(source, c.text, c.pages, c.headings)


def load_documents(
    docs_dir: str | Path, extensions: tuple[str, ...] = EXTENSIONS, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> tuple[list[Document], list[Skipped]]:
    """All readable documents with these extensions under ``docs_dir`` (recursively), and the skipped ones."""
    root = Path(docs_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"The corpus folder {root} does not exist")
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for path in iter_files(root, extensions):
        result = read_document(path, root, max_bytes)
        (docs if isinstance(result, Document) else skipped).append(result)
    return docs, skipped

