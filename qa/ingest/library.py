"""Adding and removing documents of the corpus folder, safely (the page's upload, ``qa add``).

    >>> safe_name("../../etc/Annual Report (2025).PDF")
    'Annual Report (2025).pdf'
    >>> safe_name("notes <v2>?.TXT")
    'notes _v2.txt'

:func:`add_file` checks the file first (size, type by content, that it converts: a broken,
encrypted, image-only or hostile file is refused with the reason, and the corpus is left as
it was), then writes it into the corpus folder atomically (a hidden temporary file, then a
rename), so the index never sees half a file. :func:`remove_file` removes one document, by
its name in the corpus, never anything outside the corpus folder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from qa.ingest.convert import EXTENSIONS, ConversionError

MAX_NAME_CHARS = 120


class RefusedFile(ValueError):
    """A file that can't be added or removed; the message names it and says why."""


@dataclass(frozen=True)
class Added:
    """A document written into the corpus: its name there, and whether it replaced one."""

    source: str
    replaced: bool
    pages: int | None  # for a PDF


def safe_name(name: str) -> str:
    """A file name that is safe in the corpus folder: the last path part only, letters, digits
    and ``._-()`` (others become ``_``), no leading dot, a known extension in lower case.

    Raises :class:`RefusedFile` when nothing usable is left or the extension is not supported.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = "." + ext.lower()
    if ext not in EXTENSIONS:
        raise RefusedFile(f"{_shown(name)}: unsupported file type {ext if ext != '.' else '(no extension)'}; "
                          "use .pdf, .html, .htm, .docx, .txt or .md")
    stem = re.sub(r"[^\w.()\- ]+", "_", stem)
    stem = re.sub(r"_+", "_", stem).strip(" ._")
    stem = stem[: MAX_NAME_CHARS - len(ext)]
    if not stem:
        raise RefusedFile(f"{_shown(name)}: the file name has no usable characters; rename it")
    return stem + ext


def corpus_path(docs_dir: str | Path, source: str) -> Path:
    """The path of document ``source`` inside the corpus folder; ``FileNotFoundError`` for a
    name that would lead outside it (``..``, an absolute path, a link out of the folder)."""
    root = Path(docs_dir).resolve()
    path = root / source
    if not source or Path(source).is_absolute() or ".." in Path(source).parts:
        raise FileNotFoundError(f"{source!r} is not a document of the corpus")
    try:
        if not path.resolve().is_relative_to(root):
            raise FileNotFoundError(f"{source!r} is not a document of the corpus")
    except (OSError, RuntimeError):
        raise FileNotFoundError(f"{source!r} is not a document of the corpus") from None
    return path


def check_file(data: bytes, name: str, max_bytes: int) -> int | None:
    """Refuse what the index would skip: too large, wrong type for its name, unconvertible.
    Returns the number of pages of a PDF (None for other formats)."""
    if len(data) > max_bytes:
        raise RefusedFile(f"{name}: too large ({len(data) / 2**20:.1f} MB; the limit is "
                          f"{max_bytes / 2**20:g} MB, set QA_MAX_FILE_MB to change it)")
    from qa.ingest.convert.cache import ConvertedCache

    try:
        converted = ConvertedCache().convert(data, name)  # cached: indexing will not convert it again
    except ConversionError as exc:
        raise RefusedFile(f"{name}: {exc.reason}") from None
    return len(converted.pages) or None


def add_file(src: str | Path, docs_dir: str | Path, max_bytes: int, name: str | None = None) -> Added:
    """Copy file ``src`` into the corpus as ``safe_name(name or its own name)``, after checking it.

    Raises :class:`RefusedFile` (the corpus unchanged) when the file can't be indexed.
    """
    src = Path(src)
    shown = name or src.name
    target_name = safe_name(shown)
    try:
        with open(src, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise RefusedFile(f"{_shown(shown)}: unreadable ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise RefusedFile(f"{_shown(shown)}: too large (over the limit of {max_bytes / 2**20:g} MB; "
                          "set QA_MAX_FILE_MB to change it)")
    pages = check_file(data, target_name, max_bytes)
    root = Path(docs_dir)
    root.mkdir(parents=True, exist_ok=True)
    dest = root / target_name
    replaced = dest.exists()
    tmp = root / f".{target_name}.{os.getpid()}.upload"  # hidden: the corpus reader skips dot files
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RefusedFile(f"{_shown(shown)}: could not be written to the corpus folder ({exc.strerror or exc})") from None
    return Added(target_name, replaced, pages)


def remove_file(docs_dir: str | Path, source: str) -> None:
    """Delete document ``source`` from the corpus; :class:`RefusedFile` if there is no such document."""
    try:
        path = corpus_path(docs_dir, source)
    except FileNotFoundError as exc:
        raise RefusedFile(str(exc)) from None
    if not source.lower().endswith(EXTENSIONS) or not path.is_file():
        raise RefusedFile(f"{_shown(source)}: there is no such document in the corpus")
    try:
        path.unlink()
    except OSError as exc:
        raise RefusedFile(f"{_shown(source)}: could not be removed ({exc.strerror or exc})") from None


def _shown(name: str) -> str:
    """A name as it can be shown in a message: printable, not too long."""
    text = "".join(ch if ch.isprintable() else "?" for ch in (name or "(no name)"))
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document as the page and ``qa docs`` list it."""

    source: str
    passages: int
    pages: int | None  # PDF pages, else None


def describe(index, docs_dir: str | Path, max_bytes: int) -> list[DocumentInfo]:
    """The indexed documents (``index``: what ``QA.index()`` returns, an ``IndexSummary``) with
    their passage and (for PDFs) page counts."""
    from qa.ingest.files import read_document

    counts = {source: d.passages for source, d in index.documents.items()}  # an IndexSummary
    out = []
    for source in index.sources:
        pages = None
        if source.lower().endswith(".pdf"):
            try:  # the converted text is cached, so this reads a small JSON file
                doc = read_document(corpus_path(docs_dir, source), Path(docs_dir), max_bytes)
                pages = len(getattr(doc, "pages", ())) or None
            except FileNotFoundError:
                pass
        out.append(DocumentInfo(source, counts.get(source, 0), pages))
    return out
