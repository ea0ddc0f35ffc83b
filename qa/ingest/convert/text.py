"""Plain text and Markdown: the file's own text (UTF-8), unchanged, so offsets are the file's.

    >>> decode_text("Ann met Bob.\\n".encode())
    'Ann met Bob.\\n'
"""

from __future__ import annotations

from qa.ingest.convert.sniff import ConversionError


def decode_text(data: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped); :class:`ConversionError` if not UTF-8 or empty."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConversionError("not UTF-8 text (save it as UTF-8)") from None
    if not text.strip():
        raise ConversionError("empty file")
    return text
