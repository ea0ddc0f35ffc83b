"""What a file is, judged by its content (magic bytes), checked against its extension.

    >>> check_kind(b"%PDF-1.7 ...", "report.pdf")
    'pdf'
    >>> check_kind(b"%PDF-1.7 ...", "notes.txt")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    ConversionError: the content is a PDF, not text: rename it to .pdf
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

Kind = Literal["pdf", "html", "docx", "text", "markdown"]


class ConversionError(ValueError):
    """A file can't be turned into text; ``reason`` says why, for a person (without the name)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# extension -> the kind the content must be
BY_EXTENSION: dict[str, Kind] = {
    ".pdf": "pdf", ".html": "html", ".htm": "html", ".docx": "docx", ".txt": "text", ".md": "markdown",
}

# content signatures -> what to call them in a message, and the extension that would fit
_MAGIC: list[tuple[bytes, str, str]] = [
    (b"PK\x03\x04", "a ZIP archive", ".docx"),
    (b"PK\x05\x06", "an empty ZIP archive", ""),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old binary Office file (.doc/.xls); save it as .docx", ""),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ""),
    (b"\xff\xd8\xff", "a JPEG image", ""),
    (b"GIF8", "a GIF image", ""),
    (b"{\\rtf", "an RTF file; save it as .docx", ""),
    (b"\x1f\x8b", "a gzip archive", ""),
]
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)


def sniff(data: bytes) -> tuple[str, str]:
    """(``"pdf"`` | ``"zip"`` | ``"html"`` | ``"text"`` | ``"binary"``, a description for messages)."""
    if b"%PDF-" in data[:1024]:  # the header may follow some junk bytes, as readers allow
        return "pdf", "a PDF"
    for magic, what, _ in _MAGIC:
        if data.startswith(magic):
            return ("zip" if magic.startswith(b"PK") else "binary"), what
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary", "UTF-16 text, not UTF-8 (save it as UTF-8)"
    if b"\x00" in data[:8192]:
        return "binary", "binary data, not text"
    head = data[:4096].removeprefix(codecs.BOM_UTF8)
    if _HTML_START.match(head) or b"<html" in head.lower():
        return "html", "HTML"
    return "text", "text"


def check_kind(data: bytes, name: str) -> Kind:
    """The kind to convert ``data`` as, or :class:`ConversionError` when content and name disagree."""
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    want = BY_EXTENSION.get(ext)
    if want is None:
        raise ConversionError(f"unsupported file type {ext or '(no extension)'}; "
                              "use .pdf, .html, .htm, .docx, .txt or .md")
    found, what = sniff(data)
    if want == "pdf" and found == "pdf":
        return "pdf"
    if want == "docx" and found == "zip":
        return "docx"  # the converter checks that the archive is a Word document
    if want == "html" and found in ("html", "text"):
        return "html"  # a fragment without <html> is still HTML
    if want in ("text", "markdown") and found in ("text", "html"):
        return want  # markup in a .txt or .md file is the author's text
    if found == "pdf":
        raise ConversionError(f"the content is a PDF, not {_named(want)}: rename it to .pdf")
    if found == "html" and want != "html":
        raise ConversionError(f"the content is HTML, not {_named(want)}: rename it to .html")
    raise ConversionError(f"not {_named(want)}: the content is {what}")


def _named(kind: Kind) -> str:
    return {"pdf": "a PDF", "html": "HTML", "docx": "a Word .docx file", "text": "text",
            "markdown": "Markdown text"}[kind]
