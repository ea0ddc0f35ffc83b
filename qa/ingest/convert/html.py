"""HTML → text: the page's main content only, with its title and headings.

    >>> doc = html_to_text(open("saved-page.html", "rb").read())   # doctest: +SKIP
    >>> doc.title, doc.text.splitlines()[0]                          # doctest: +SKIP
    ('Harbour Bridge reopens', 'Harbour Bridge reopens')

trafilatura (well kept, the best main-text extractor in its authors' and others' benchmarks)
finds the article and leaves out scripts, styles, navigation, headers, footers, sidebars and
cookie banners. Its XML output keeps the structure: each heading, paragraph, list item,
quote and table row becomes one line, headings are recorded in ``Converted.headings``.
The result is text only: nothing of the HTML is ever rendered.
"""

from __future__ import annotations

from qa.ingest.convert import Converted
from qa.ingest.convert.sniff import ConversionError
from qa.ingest.convert.text import decode_text

_BLOCKS = {"p", "item", "quote", "code", "row"}


def html_to_text(data: bytes) -> Converted:
    """The main text of an HTML page; :class:`ConversionError` if it has none."""
    import trafilatura
    from lxml import etree

    try:
        html = decode_text(data)
    except ConversionError:  # not UTF-8: let trafilatura's detection read the declared charset
        html = data
    xml = trafilatura.extract(html, output_format="xml", with_metadata=True, include_comments=False,
                              include_tables=True, include_formatting=False, include_links=False,
                              include_images=False, deduplicate=False)
    if not xml:
        raise ConversionError("no readable main text in this HTML page")
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    title = " ".join((root.get("title") or "").split())
    lines: list[tuple[str, bool]] = []  # (text, is heading)
    for el in root.iter("head", *_BLOCKS):
        if el.tag == "p" and _inside(el, _BLOCKS):
            continue  # a paragraph inside a list item or cell is part of that line
        if el.tag == "row":
            text = " | ".join(_words(cell) for cell in el if _words(cell))
        else:
            text = _words(el)
        if text:
            lines.append((text, el.tag == "head"))
    if title and (not lines or lines[0][0] != title):
        lines.insert(0, (title, True))
    if not lines:
        raise ConversionError("no readable main text in this HTML page")
    return Converted.from_lines(lines, "html", title)


def _words(el) -> str:
    return " ".join("".join(el.itertext()).split())


def _inside(el, tags: set[str]) -> bool:
    return any(parent.tag in tags for parent in el.iterancestors())
