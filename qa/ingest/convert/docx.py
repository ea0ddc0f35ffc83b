"""Word (.docx) → text: paragraphs and table rows in document order, headings marked.

    >>> doc = docx_to_text(open("minutes.docx", "rb").read())   # doctest: +SKIP
    >>> doc.text[slice(*doc.headings[0])]                       # doctest: +SKIP
    'Decisions'

python-docx (well kept, pure Python over lxml with entity resolution off) reads the file. A
.docx is a ZIP archive, so its table of contents is checked first: too many entries, too many
bytes once unpacked, or an entry that expands like a ZIP bomb, and the file is refused
before anything is unpacked.
"""

from __future__ import annotations

import io
import zipfile

from qa.ingest.convert import Converted
from qa.ingest.convert.sniff import ConversionError

MAX_ENTRIES = 5_000
MAX_UNPACKED_BYTES = 100 * 2**20  # all entries together, as their headers declare
MAX_RATIO = 200  # an entry over 1 MB that expands more than this is a ZIP bomb


def check_zip(data: bytes) -> None:
    """Refuse an archive that is not a Word document or would unpack to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise ConversionError("broken Word file (not a readable ZIP archive)") from None
    if len(infos) > MAX_ENTRIES:
        raise ConversionError(f"refused: the archive holds {len(infos):,} entries (a Word file has far fewer)")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise ConversionError(f"refused: it would unpack to {total / 2**20:,.0f} MB "
                              f"(the limit is {MAX_UNPACKED_BYTES / 2**20:g} MB; a ZIP bomb?)")
    for i in infos:
        if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(1, i.compress_size):
            raise ConversionError(f"refused: {i.filename} expands {i.file_size // max(1, i.compress_size):,} "
                                  "times (a ZIP bomb?)")
    names = {i.filename for i in infos}
    if "word/document.xml" not in names and "[Content_Types].xml" not in names:
        raise ConversionError("not a Word .docx file (a ZIP archive without a Word document in it)")
    if any(i.flag_bits & 0x1 for i in infos):
        raise ConversionError("encrypted Word file (it needs a password); save an unprotected copy")


def docx_to_text(data: bytes) -> Converted:
    """The text of a Word document; :class:`ConversionError` if it can't be read."""
    check_zip(data)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[tuple[str, bool]] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend((row, False) for row in _rows(block))
                continue
            text = " ".join(block.text.split())
            if text:
                lines.append((text, _is_heading(block)))
        title = " ".join((document.core_properties.title or "").split())
    except ConversionError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for damaged files
        text = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise ConversionError(f"broken Word file ({text})") from None
    if not lines:
        raise ConversionError("empty Word document (no text in it)")
    if not title:
        title = next((t for t, h in lines if h), "")
    return Converted.from_lines(lines, "docx", title)


def _is_heading(paragraph) -> bool:
    """A paragraph in a Title or Heading style (or one based on them), or with an outline level."""
    style = paragraph.style
    while style is not None:
        if (style.name or "").lower().startswith(("heading", "title", "subtitle")):
            return True
        style = style.base_style
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}outlineLvl") is not None


def _rows(table) -> list[str]:
    """Each row as its cells' text joined by " | " (a merged cell counted once)."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
