"""PDF → text, page by page, from the text layer; cleaned so that sentences read as written.

    >>> doc = pdf_to_text(open("report.pdf", "rb").read())    # doctest: +SKIP
    >>> doc.page_at(doc.text.index("Revenue"))                 # doctest: +SKIP
    3

The page texts come from pypdf (pure Python, well kept, with caps on decompressed stream
sizes; chosen over pdfminer.six, pdfplumber and pypdfium2 by ``python -m
benchmarks.convert_quality``). :func:`clean_pages` then, on the lines of every page:

1. drops running headers and footers: a line among the first or last two of a page that
   recurs (digits aside) on several pages, and bare page numbers ("7", "Page 7 of 9", "- 7 -");
2. joins a word hyphenated across a line break ("renova-" + "tion" → "renovation"), keeping
   the hyphen where the document writes the word with one elsewhere ("well-known");
3. rejoins the lines of a paragraph into one line: a paragraph ends at a line clearly shorter
   than the document's full lines, or before a bullet.

Pages are separated by a blank line; ``Converted.pages`` holds each page's character range.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable

from qa.ingest.convert import Converted
from qa.ingest.convert.sniff import ConversionError

PageTexts = Callable[[bytes], tuple[list[str], str]]  # PDF bytes -> (text of each page, title)

MIN_TEXT_CHARS = 20  # fewer letters and digits than this in the whole file: no text layer
EDGE_LINES = 2  # how many lines at the top and bottom of a page may be a header or footer

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
                            "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\t": " "})
_PAGE_NUMBER = re.compile(r"^[\W_]*(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?[\W_]*$", re.I)
_BULLET = re.compile(r"^([•·▪◦‣●○■□–—*-]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s")
_HYPHEN_END = re.compile(r"(\w+)[-\u00ad\u2010\x02\ufffe]$")
_WORD_START = re.compile(r"^([a-z]\w*)")
_SENTENCE_END = (".", "!", "?", ":", '."', ".”", ".)")


def pypdf_pages(data: bytes) -> tuple[list[str], str]:
    """Each page's text layer with pypdf, and the document's title; encrypted files are refused.

    A PDF encrypted with an empty user password (only its permissions are restricted) opens.
    """
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001 - an unsupported cipher is also "can't open"
                opened = 0
            if not opened:
                raise ConversionError("encrypted PDF (it needs a password); save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = ""
        try:
            title = str((reader.metadata or {}).get("/Title") or "")
        except (PdfReadError, PyPdfError, TypeError, ValueError):
            pass
    except ConversionError:
        raise
    except LimitReachedError:
        raise ConversionError("refused: a stream in it expands beyond pypdf's limit (a PDF bomb?)") from None
    except RecursionError:
        raise ConversionError("broken PDF (its structure is nested too deeply)") from None
    except MemoryError:
        raise ConversionError("refused: reading it needs more memory than allowed (a PDF bomb?)") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds for damaged files
        raise ConversionError(f"broken PDF ({_short(exc)})") from None
    return pages, title


def pdf_to_text(data: bytes, pages_of: PageTexts = pypdf_pages) -> Converted:
    """The cleaned text of a PDF with its page ranges; :class:`ConversionError` if unreadable."""
    pages, title = pages_of(data)
    if not pages:
        raise ConversionError("broken PDF (it has no pages)")
    if sum(ch.isalnum() for page in pages for ch in page) < MIN_TEXT_CHARS:
        raise ConversionError(f"no text layer (an image-only or scanned PDF, {len(pages)} page(s)); "
                              "run it through OCR first")
    text, ranges = clean_pages(pages)
    return Converted(text, "pdf", _clean_title(title), tuple(ranges))


def clean_pages(pages: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join the page texts into one text (headers, footers, hyphens, line breaks cleaned)."""
    lines = [[ln for ln in (_normal(x) for x in page.splitlines()) if ln] for page in pages]
    lines = drop_running_lines(lines)
    lines = join_hyphenated(lines)
    width = _full_width([ln for page in lines for ln in page])
    parts: list[str] = []
    ranges: list[tuple[int, int]] = []
    pos = 0
    for i, page in enumerate(lines):
        if i:
            parts.append("\n\n")
            pos += 2
        body = "\n".join(reflow(page, width))
        parts.append(body)
        ranges.append((pos, pos + len(body)))
        pos += len(body)
    return "".join(parts), ranges


def drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Pages without their running headers, footers and page numbers.

    >>> pages = [["Acme report 2025", "Sales rose.", "Costs fell.", "1"],
    ...          ["Acme report 2025", "Prices held.", "Staff grew.", "2"],
    ...          ["Acme report 2025", "Risks remain.", "3"]]
    >>> drop_running_lines(pages)
    [['Sales rose.', 'Costs fell.'], ['Prices held.', 'Staff grew.'], ['Risks remain.']]
    """
    need = 2 if len(pages) <= 4 else 3
    top, bottom = Counter(), Counter()
    edge = [max(1, min(EDGE_LINES, len(page) // 2)) for page in pages]  # a short page's edges don't overlap
    for page, k in zip(pages, edge):
        top.update({_key(ln) for ln in page[:k]})
        bottom.update({_key(ln) for ln in page[-k:]})
    out = []
    for page, k in zip(pages, edge):
        n = len(page)
        keep = []
        for j, ln in enumerate(page):
            at_top, at_bottom = j < k, j >= n - k
            if (at_top or at_bottom) and _PAGE_NUMBER.match(ln):
                continue
            if (at_top and top[_key(ln)] >= need) or (at_bottom and bottom[_key(ln)] >= need):
                continue
            keep.append(ln)
        out.append(keep)
    return out


def join_hyphenated(pages: list[list[str]]) -> list[list[str]]:
    """Words split by a hyphen at a line end joined again (also across a page break).

    >>> join_hyphenated([["The renova-", "tion ended, a well-", "known fact."], ["A well-known one."]])
    [['The renovation', 'ended, a well-known', 'fact.'], ['A well-known one.']]
    """
    flat = [(i, ln) for i, page in enumerate(pages) for ln in page]
    whole = " ".join(ln for _, ln in flat).lower()
    for k in range(len(flat) - 1):
        (i, ln), (i2, nxt) = flat[k], flat[k + 1]
        m, m2 = _HYPHEN_END.search(ln), _WORD_START.match(nxt)
        if not (m and m2):
            continue
        head, tail = m.group(1), m2.group(1)
        # the document's own spelling decides; a typesetter's hyphen is dropped otherwise
        hyphenated, plain = f"{head}-{tail}".lower(), (head + tail).lower()
        keep = ln[-1] in "-\u2010" and hyphenated in whole and plain not in whole
        joined = f"{head}-{tail}" if keep else head + tail
        rest = nxt[m2.end():].lstrip()
        flat[k] = (i, ln[: m.start()] + joined)
        flat[k + 1] = (i2, rest)
    out: list[list[str]] = [[] for _ in pages]
    for i, ln in flat:
        if ln:
            out[i].append(ln)
    return out


def reflow(lines: list[str], width: int) -> list[str]:
    """The lines of a page as paragraphs, one per line.

    >>> reflow(["The talks went on late", "into the night.", "Then they left."], 22)
    ['The talks went on late into the night.', 'Then they left.']
    """
    paragraphs: list[str] = []
    current = ""
    for k, ln in enumerate(lines):
        short_next = k + 1 < len(lines) and len(lines[k + 1]) < 0.75 * width
        if current and _BULLET.match(ln):
            paragraphs.append(current)
            current = ""
        current = f"{current} {ln}" if current else ln
        # a short line ends its paragraph (or is a heading, a list item); so does a sentence
        # end before a short line, which is then a heading or ends the paragraph: either way
        # the break falls between sentences
        if len(ln) < 0.75 * width or (short_next and ln.endswith(_SENTENCE_END)):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _full_width(lines: list[str]) -> int:
    """The length of a full line of body text: the 80th percentile of line lengths."""
    lengths = sorted(len(ln) for ln in lines if len(ln.split()) >= 3) or sorted(len(ln) for ln in lines) or [0]
    return lengths[min(len(lengths) - 1, int(0.8 * len(lengths)))]


def _normal(line: str) -> str:
    line = line.translate(_LIGATURES)
    line = "".join(ch for ch in line if ch in "\x02\ufffe" or unicodedata.category(ch)[0] != "C")
    return " ".join(line.split())


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title or title.lower() in ("untitled", "title") or re.search(r"\.(docx?|pdf|txt|tex|indd)$", title, re.I):
        return ""
    return title[:200]


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]
