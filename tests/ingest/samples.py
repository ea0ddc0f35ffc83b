"""Real files for the converter tests and benchmarks, made here with the libraries people use:
PDFs with fpdf2 (running header and footer, hyphenated line ends, two columns, encrypted,
image-only), Word files with python-docx, and an HTML page with scripts and navigation
around its article. Each maker returns what a perfect conversion would give.

    >>> truth = make_pdf("report.pdf", REPORT)          # doctest: +SKIP
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

HEADER = "Riverside Water Board - Annual Report 2025"

# pages of (is heading, text): plain English, nothing the converters know about
REPORT: list[list[tuple[bool, str]]] = [
    [
        (True, "Summary of the year"),
        (False, "The Riverside Water Board supplied drinking water to 184,000 households in 2025, "
                "about four percent more than in the previous year. Average consumption per person "
                "fell slightly, which the board attributes to the replacement of older appliances."),
        (False, "Construction of the northern treatment plant continued throughout the year. The "
                "contractor completed the foundations in March and the filtration halls in September, "
                "despite interruptions caused by unusually heavy rainfall in the spring."),
    ],
    [
        (True, "Water quality"),
        (False, "Laboratory staff analysed 12,400 samples taken from reservoirs, pumping stations and "
                "household taps. Ninety-nine samples exceeded a guideline value, mostly for iron, and "
                "in every case the affected pipes were flushed within two days."),
        (False, "The chief chemist, Dr. Helena Marsh, recommended that the board extend the monitoring "
                "programme to the smaller rural networks, where contamination is harder to detect "
                "because the water stands longer in the pipes."),
    ],
    [
        (True, "Finances"),
        (False, "Revenue from water charges reached 61 million pounds, while operating costs rose to "
                "47 million pounds because of higher electricity prices. The board borrowed a further "
                "nine million pounds to finance the northern treatment plant."),
        (False, "Charges for households will increase by three percent in April, the smallest increase "
                "in five years. Customers who receive housing benefit remain entitled to a reduced "
                "tariff, which about eleven thousand households claimed during the year."),
    ],
    [
        (True, "Outlook"),
        (False, "The northern treatment plant is expected to open in the autumn of 2026 and will "
                "replace two small plants built in the nineteen-sixties. Its commissioning will "
                "require temporary interruptions of supply in three districts, announced in advance."),
        (False, "The board also intends to renew forty kilometres of distribution mains, giving "
                "priority to the cast-iron pipes that caused most of the leaks recorded this year."),
    ],
]


def truth_text(pages: list[list[tuple[bool, str]]]) -> str:
    """The text a perfect PDF conversion gives: one block per line, pages apart."""
    return "\n\n".join("\n".join(text for _, text in page) for page in pages)


def make_pdf(path: str | Path, pages: list[list[tuple[bool, str]]] = REPORT, header: str | None = HEADER,
             footer: bool = True, hyphenate: bool = True, columns: int = 1, width_mm: float = 150,
             password: str | None = None) -> str:
    """Write a PDF with fpdf2 (core Helvetica), wrapping lines itself so that long words are
    hyphenated at line ends; returns :func:`truth_text` of ``pages``."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            if header:
                self.set_font("Helvetica", "I", 9)
                self.cell(0, 8, header, new_x="LMARGIN", new_y="NEXT", align="C")
                self.ln(4)

        def footer(self):
            if footer:
                self.set_y(-15)
                self.set_font("Helvetica", "", 9)
                self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Report(format="A4")
    pdf.set_auto_page_break(False)
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    col_w = width_mm / columns - (5 if columns > 1 else 0)
    for page in pages:
        pdf.add_page()
        top = pdf.get_y()
        per_col = -(-len(page) // columns)
        for c in range(columns):
            x = pdf.l_margin + c * (width_mm / columns)
            pdf.set_xy(x, top)
            for heading, text in page[c * per_col:(c + 1) * per_col]:
                if heading:
                    pdf.set_font("Helvetica", "B", 14)
                    pdf.set_x(x)
                    pdf.cell(col_w, 9, text, new_x="LEFT", new_y="NEXT")
                    continue
                pdf.set_font("Helvetica", "", 11)
                for line in _wrap(pdf, text, col_w, hyphenate):
                    pdf.set_x(x)
                    pdf.cell(col_w, 6, line, new_x="LEFT", new_y="NEXT")
                pdf.ln(4)
    pdf.output(str(path))
    return truth_text(pages)


def _wrap(pdf, text: str, width: float, hyphenate: bool) -> list[str]:
    """Greedy line breaking; a word of 8+ letters that doesn't fit is split with a hyphen."""
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}" if line else word
        if pdf.get_string_width(trial) <= width:
            line = trial
            continue
        if hyphenate and len(word) >= 8 and word.isalpha():
            for cut in range(len(word) - 3, 2, -1):
                head = f"{line} {word[:cut]}-" if line else f"{word[:cut]}-"
                if pdf.get_string_width(head) <= width:
                    lines.append(head)
                    line = word[cut:]
                    break
            else:
                lines.append(line)
                line = word
            continue
        lines.append(line)
        line = word
    if line:
        lines.append(line)
    return lines


def make_image_only_pdf(path: str | Path, pages: int = 2) -> None:
    """A "scanned" PDF: each page is a picture of text, with no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    pdf = FPDF(format="A4")
    for n in range(pages):
        img = Image.new("RGB", (800, 400), "white")
        ImageDraw.Draw(img).text((40, 40), f"Scanned page {n + 1}: the board met on Tuesday.", fill="black")
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        pdf.add_page()
        pdf.image(buf, x=10, y=10, w=190)
    pdf.output(str(path))


def make_docx(path: str | Path, title: str = "Board minutes, 14 March") -> str:
    """A Word file with a title, headings, paragraphs, a list and a table; returns its text."""
    import docx

    d = docx.Document()
    d.core_properties.title = title
    d.add_heading(title, 0)
    d.add_paragraph("The board of the Riverside Water Board met on Tuesday in the council chamber.")
    d.add_heading("Decisions", 1)
    d.add_paragraph("The board approved a budget of 47 million pounds for the coming year.")
    d.add_paragraph("Renew the cast-iron mains in the old town", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "District", (0, 1): "Interruption", (1, 0): "Millbrook", (1, 1): "3 May"}.items():
        table.cell(r, c).text = text
    d.add_heading("Any other business", 2)
    d.add_paragraph("Dr. Helena Marsh asked for more samples from the rural networks.")
    d.save(str(path))
    return "\n".join([title, "The board of the Riverside Water Board met on Tuesday in the council chamber.",
                      "Decisions", "The board approved a budget of 47 million pounds for the coming year.",
                      "Renew the cast-iron mains in the old town", "District | Interruption",
                      "Millbrook | 3 May", "Any other business",
                      "Dr. Helena Marsh asked for more samples from the rural networks."])


def make_zip_bomb_docx(path: str | Path, unpacked_mb: int = 2, ratio_only: bool = True) -> None:
    """A .docx whose document.xml expands hugely: ``unpacked_mb`` MB of one repeated byte."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b" " * 2**20
            for _ in range(unpacked_mb):
                fh.write(chunk)


ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour Bridge reopens | City News</title>
<style>body { font-family: serif } .cookie { position: fixed }</style>
<script>var tracker = "SCRIPT-SECRET"; document.write("<p>INJECTED</p>");</script>
</head><body>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your experience.
<button>Accept all cookies</button></p></div>
<header class="site-header"><a href="/">City News</a>
<nav><ul><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/weather">Weather</a></li></ul></nav></header>
<main><article>
<h1>Harbour Bridge reopens after two years of repairs</h1>
<p>The Harbour Bridge reopened to traffic on Monday after a two-year renovation that cost
48 million euros, the city council said.</p>
<h2>Delays and costs</h2>
<p>Work was delayed twice by storms in the winter of 2024, according to chief engineer Marta
Olsen, who led the project from the start.</p>
<p>The council expects about 30,000 vehicles to cross the bridge every day, fewer than before
the closure, because many commuters now take the new tram line.</p>
<h2>What comes next</h2>
<p>A second phase, repainting the steel towers, will start in the spring and should be
finished by the end of 2027.</p>
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Local election results</a></li></ul></aside>
<footer><p>Copyright 2026 City News. All rights reserved.</p></footer>
<script>console.log("LATE-SCRIPT")</script>
</body></html>
"""


def make_pdf_bomb(path: str | Path, content_mb: float) -> None:
    """A one-page PDF whose content stream is ``content_mb`` MB of text drawing operators,
    deflated to a tiny fraction of that: reading it costs time and memory out of all proportion."""
    import zlib

    line = b"BT /F1 12 Tf 72 700 Td (All work and no play makes a dull day.) Tj ET\n"
    stream = zlib.compress(line * int(content_mb * 2**20 / len(line)), 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    Path(path).write_bytes(bytes(out))
