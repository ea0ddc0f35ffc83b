"""Files → text: PDF, HTML, Word (.docx), plain text and Markdown, each to one plain text that
every offset of the index refers to, with its pages (PDF) and headings (HTML, Word).

    >>> from qa.ingest.convert import convert
    >>> doc = convert("report.pdf", max_bytes=10 * 2**20)     # doctest: +SKIP
    >>> doc.kind, len(doc.pages), doc.page_at(doc.text.index("Revenue"))   # doctest: +SKIP
    ('pdf', 12, 3)

A file that can't be converted raises :class:`ConversionError` whose ``reason`` says why in
words a person can act on ("encrypted PDF (it needs a password) ..."). The type is decided
by the file's content (:mod:`qa.ingest.convert.sniff`), and must agree with its extension.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

from qa.ingest.convert.sniff import ConversionError, Kind, check_kind

__all__ = ["Converted", "ConversionError", "Kind", "convert", "convert_bytes", "EXTENSIONS"]

EXTENSIONS = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")


@dataclass(frozen=True)
class Converted:
    """A document's text as indexed, with where its pages and headings are.

    ``pages[i]`` is the (start, end) character range of page ``i + 1`` (PDF only; empty for
    formats without pages). ``headings`` are the (start, end) ranges of heading lines when the
    format marks them (HTML, Word), or ``None`` when they are to be guessed from the text
    (plain text, Markdown, PDF), as :mod:`qa.ingest.split` does.
    """

    text: str
    kind: Kind
    title: str = ""
    pages: tuple[tuple[int, int], ...] = ()
    headings: tuple[tuple[int, int], ...] | None = None

    @classmethod
    def from_lines(cls, lines: list[tuple[str, bool]], kind: Kind, title: str = "") -> "Converted":
        """One block per line, from (text, is_heading) pairs; records the headings' ranges.

        >>> Converted.from_lines([("Costs", True), ("They rose.", False)], "docx").headings
        ((0, 5),)
        """
        parts, headings, pos = [], [], 0
        for line, heading in lines:
            if heading:
                headings.append((pos, pos + len(line)))
            parts.append(line)
            pos += len(line) + 1
        return cls("\n".join(parts), kind, title, (), tuple(headings))

    @classmethod
    def from_dict(cls, d: dict) -> "Converted":
        """The inverse of :func:`dataclasses.asdict` (JSON turns the tuples into lists)."""
        headings = d.get("headings")
        return cls(d["text"], d["kind"], d.get("title", ""), tuple(tuple(p) for p in d.get("pages", ())),
                   None if headings is None else tuple(tuple(h) for h in headings))

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character ``offset``, or None for a format without pages.

        >>> Converted("one\\n\\ntwo", "pdf", pages=((0, 3), (5, 8))).page_at(6)
        2
        """
        if not self.pages:
            return None
        starts = [s for s, _ in self.pages]
        return max(1, bisect.bisect_right(starts, offset))


def convert_bytes(data: bytes, name: str) -> Converted:
    """Convert a file's content; ``name`` (its file name) gives the extension to check against."""
    kind = check_kind(data, name)
    if kind == "pdf":
        from qa.ingest.convert.pdf import pdf_to_text

        return pdf_to_text(data)
    if kind == "html":
        from qa.ingest.convert.html import html_to_text

        return html_to_text(data)
    if kind == "docx":
        from qa.ingest.convert.docx import docx_to_text

        return docx_to_text(data)
    from qa.ingest.convert.text import decode_text

    return Converted(decode_text(data), kind)


def convert(path: str | Path, max_bytes: int) -> Converted:
    """Read ``path`` (at most ``max_bytes``) and convert it; raises :class:`ConversionError`."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ConversionError("disappeared while being read") from None
    except OSError as exc:
        raise ConversionError(f"unreadable ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise ConversionError(f"too large (over the limit of {max_bytes / 2**20:g} MB; "
                              "set QA_MAX_FILE_MB to change it)")
    return convert_bytes(data, path.name)
