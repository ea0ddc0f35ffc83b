"""Which PDF text extractor to build on: pypdf, pdfminer.six, pdfplumber or pypdfium2, each
followed by the same cleaning (:func:`qa.ingest.convert.pdf.clean_pages`), measured on PDFs
with known text (made with fpdf2) and on real PDFs found on the machine.

    python -m benchmarks.convert_quality      # prints a Markdown table

Figures: ``words`` is difflib's ratio between the extracted and the true word sequence (100 =
every word, in order); ``blocks`` is the share of true paragraph starts found at a line start;
``leaks`` counts header/footer lines left in (made files) or lines that recur three times or
more (real files: running lines left in, or content split into repeated fragments); ``long``
counts tokens over 25 characters (words run together); ``ms/page`` is the extraction time
(the first row includes importing the library). A second table compares HTML main-text
extractors on the test page.
"""

from __future__ import annotations

import difflib
import io
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from qa.ingest.convert.pdf import clean_pages, pypdf_pages

REAL = ["/usr/share/doc/libtasn1-doc/libtasn1.pdf", "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"]


def pdfminer_pages(data: bytes):
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer

    return ["".join(el.get_text() for el in page if isinstance(el, LTTextContainer))
            for page in extract_pages(io.BytesIO(data), laparams=LAParams())], ""


def pdfplumber_pages(data: bytes):
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [p.extract_text() or "" for p in pdf.pages], ""


def pdfium_pages(data: bytes):
    import pypdfium2

    doc = pypdfium2.PdfDocument(data)
    return [page.get_textpage().get_text_bounded().replace("\r\n", "\n") for page in doc], ""


BACKENDS = {"pypdf": pypdf_pages, "pdfminer.six": pdfminer_pages, "pdfplumber": pdfplumber_pages,
            "pypdfium2": pdfium_pages}


def measure(data: bytes, fn, truth: str | None, running: list[str]):
    t = time.perf_counter()
    pages, _ = fn(data)
    ms = (time.perf_counter() - t) * 1000 / max(1, len(pages))
    text, _ = clean_pages(pages)
    out = {"ms/page": f"{ms:.0f}", "long": sum(len(w) > 25 for w in text.split())}
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if truth is not None:
        out["words"] = f"{100 * difflib.SequenceMatcher(None, truth.split(), text.split(), autojunk=False).ratio():.1f}"
        starts = [ln.split()[0:4] for ln in truth.splitlines() if ln.strip()]
        found = sum(any(ln.split()[0:4] == s for ln in lines) for s in starts)
        out["blocks"] = f"{100 * found / len(starts):.0f} %"
        out["leaks"] = sum(text.count(r) for r in running)
    else:  # a line that recurs three or more times is a running line left in
        out["leaks"] = sum(n for ln, n in Counter(re.sub(r"\d+", "#", ln) for ln in lines).items() if n >= 3 and len(ln) > 3)
    return out


def main() -> None:
    sys.path.insert(0, ".")
    from tests.ingest.samples import HEADER, REPORT, make_pdf

    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, kw in [("made: header, footer, hyphens", {}), ("made: two columns", {"columns": 2, "header": None}),
                         ("made: narrow, no hyphens", {"width_mm": 90, "hyphenate": False})]:
            path = Path(tmp) / "x.pdf"
            truth = make_pdf(path, REPORT, **kw)
            cases.append((name, path.read_bytes(), truth))
    for path in REAL:
        if Path(path).exists():
            cases.append((f"real: {Path(path).name}", Path(path).read_bytes(), None))
    cols = ["words", "blocks", "leaks", "long", "ms/page"]
    print("| file | extractor | " + " | ".join(cols) + " |")
    print("|---|---|" + "---:|" * len(cols))
    for name, data, truth in cases:
        running = [HEADER, "Page "]
        for backend, fn in BACKENDS.items():
            r = measure(data, fn, truth, running)
            print(f"| {name} | {backend} | " + " | ".join(str(r.get(c, "–")) for c in cols) + " |")
    html_table()


def html_backends():
    """Main-text extractors to compare on an HTML page: ours (trafilatura, as converted) and two
    alternatives, jusText's paragraph classifier and lxml's whole-body text (no boilerplate removal)."""
    from qa.ingest.convert.html import html_to_text

    def justext_text(html: str) -> str:
        import justext

        return "\n".join(p.text for p in justext.justext(html.encode(), justext.get_stoplist("English"))
                         if not p.is_boilerplate)

    def lxml_text(html: str) -> str:
        import lxml.html

        body = lxml.html.fromstring(html).body
        for bad in body.xpath("//script|//style"):
            bad.drop_tree()
        return body.text_content()

    return {"trafilatura (ours)": lambda h: html_to_text(h.encode()).text, "jusText": justext_text,
            "lxml text": lxml_text}


def html_table() -> None:
    """Article words kept (recall) and boilerplate words let in, on the test page."""
    import lxml.html

    from tests.ingest.samples import ARTICLE_HTML

    article = lxml.html.fromstring(ARTICLE_HTML).xpath("//article")[0].text_content().split()
    noise = set("cookies Accept World Sport Weather Most read Local election results Copyright rights reserved "
                "SCRIPT-SECRET LATE-SCRIPT".split())
    print("\n| HTML page | extractor | article words kept | boilerplate words in | headings kept |")
    print("|---|---|---:|---:|---|")
    for name, fn in html_backends().items():
        words = fn(ARTICLE_HTML).split()
        kept = difflib.SequenceMatcher(None, article, words, autojunk=False).ratio() * 100
        heads = all(h in " ".join(words) for h in ("Delays and costs", "What comes next"))
        print(f"| article with nav, cookie banner, scripts | {name} | {kept:.1f} | "
              f"{sum(w.strip('.,') in noise for w in words)} | {'yes' if heads else 'no'} |")


if __name__ == "__main__":
    main()
