"""Converters on real files made here (fpdf2 PDFs, python-docx Word files, an HTML page), and on
broken and hostile ones: each of those gets a ConversionError whose reason says why."""

from __future__ import annotations

import zipfile

import pytest

from qa.ingest.convert import ConversionError, Converted, convert, convert_bytes
from qa.ingest.convert.isolate import convert_isolated
from tests.ingest.samples import (
    ARTICLE_HTML, HEADER, REPORT, make_docx, make_image_only_pdf, make_pdf, make_pdf_bomb, make_zip_bomb_docx, truth_text,
)

MB = 2**20


def reason_of(path, **kw) -> str:
    with pytest.raises(ConversionError) as info:
        convert(path, kw.pop("max_bytes", 10 * MB))
    return info.value.reason


# ---------------------------------------------------------------------------- PDF


def test_pdf_pages_header_footer_and_hyphens(tmp_path):
    path = tmp_path / "report.pdf"
    truth = make_pdf(path)
    doc = convert(path, 10 * MB)
    assert doc.kind == "pdf" and len(doc.pages) == 4
    assert HEADER not in doc.text and "Page 1 of" not in doc.text  # running lines dropped
    assert doc.text.split() == truth.split()  # every word, in order, hyphenation undone
    assert "contractor" in doc.text and "contra-" not in doc.text
    for n, page in enumerate(REPORT, start=1):
        heading = page[0][1]
        at = doc.text.index(heading)
        assert doc.page_at(at) == n
        start, end = doc.pages[n - 1]
        assert doc.text[start:end].startswith(heading)
    # a heading stays a line of its own, and a paragraph's lines are one line again
    lines = doc.text.splitlines()
    assert "Water quality" in lines
    assert any(line.startswith("Laboratory staff analysed") and line.endswith("within two days.") for line in lines)


def test_pdf_two_columns_keep_reading_order(tmp_path):
    path = tmp_path / "columns.pdf"
    truth = make_pdf(path, columns=2, header=None)
    assert convert(path, 10 * MB).text.split() == truth.split()


def test_pdf_hyphen_of_a_compound_is_kept(tmp_path):
    pages = [[(False, "The team used a well-known method that everyone in the region liked a lot, "
                      "and this well-known method worked.")]]
    path = tmp_path / "compound.pdf"
    make_pdf(path, pages, header=None, footer=False, width_mm=40)
    text = convert(path, 10 * MB).text
    assert text.count("well-known") == 2, text


def test_pdf_with_owner_password_only_opens(tmp_path):
    path = tmp_path / "restricted.pdf"
    make_pdf(path, password="")
    assert "Riverside Water Board supplied" in convert(path, 10 * MB).text


def test_encrypted_pdf_is_refused(tmp_path):
    path = tmp_path / "secret.pdf"
    make_pdf(path, password="hunter2")
    assert reason_of(path).startswith("encrypted PDF")


def test_image_only_pdf_is_refused(tmp_path):
    path = tmp_path / "scan.pdf"
    make_image_only_pdf(path)
    assert "no text layer" in reason_of(path)


def test_broken_pdf_is_refused(tmp_path):
    good = tmp_path / "good.pdf"
    make_pdf(good)
    path = tmp_path / "broken.pdf"
    path.write_bytes(good.read_bytes()[:1500])
    reason = reason_of(path)
    assert reason.startswith(("broken PDF", "no text layer")), reason
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    assert reason_of(path).startswith("broken PDF")


# --------------------------------------------------------------------------- HTML


def test_html_main_content_only(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    doc = convert(path, 10 * MB)
    assert doc.kind == "html" and doc.pages == () and doc.page_at(0) is None
    for noise in ("SCRIPT-SECRET", "INJECTED", "LATE-SCRIPT", "font-family", "cookies", "Weather",
                  "Most read", "All rights reserved", "<"):
        assert noise not in doc.text, noise
    assert "Marta Olsen, who led the project" in doc.text
    headings = [doc.text[s:e] for s, e in doc.headings]
    assert headings == ["Harbour Bridge reopens after two years of repairs", "Delays and costs", "What comes next"]
    assert doc.title == "Harbour Bridge reopens after two years of repairs"


def test_html_in_a_declared_legacy_charset(tmp_path):
    path = tmp_path / "latin1.html"
    page = ARTICLE_HTML.replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">')
    page = page.replace("Olsen", "Ols\u00e9n")
    path.write_bytes(page.encode("latin-1"))
    assert "Marta Ols\u00e9n, who led the project" in convert(path, 10 * MB).text


def test_html_without_main_text_is_refused(tmp_path):
    path = tmp_path / "empty.htm"
    path.write_text("<html><head><script>alert(1)</script></head><body><nav>Home</nav></body></html>")
    assert "no readable main text" in reason_of(path)


# --------------------------------------------------------------------------- Word


def test_docx_paragraphs_table_and_headings(tmp_path):
    path = tmp_path / "minutes.docx"
    truth = make_docx(path)
    doc = convert(path, 10 * MB)
    assert doc.kind == "docx" and doc.text == truth
    assert [doc.text[s:e] for s, e in doc.headings] == ["Board minutes, 14 March", "Decisions", "Any other business"]
    assert doc.title == "Board minutes, 14 March"


def test_zip_bomb_docx_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.docx"
    make_zip_bomb_docx(path, unpacked_mb=3)  # 3 MB of spaces pack into a few KB
    assert path.stat().st_size < 50_000
    assert "ZIP bomb" in reason_of(path)


def test_docx_unpacking_to_too_much_is_refused(tmp_path, monkeypatch):
    from qa.ingest.convert import docx as docx_conv

    path = tmp_path / "big.docx"
    make_docx(path)
    monkeypatch.setattr(docx_conv, "MAX_UNPACKED_BYTES", 10_000)  # the file's real parts exceed this
    assert "would unpack to" in reason_of(path)


def test_zip_that_is_not_a_word_file(tmp_path):
    path = tmp_path / "sheet.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    assert "not a Word .docx file" in reason_of(path)


# ------------------------------------------------------- type by content, not by name


@pytest.mark.parametrize("name,data,expected", [
    ("notes.txt", b"%PDF-1.4\n...", "the content is a PDF, not text: rename it to .pdf"),
    ("report.pdf", b"Just some text, not a PDF.", "not a PDF: the content is text"),
    ("report.pdf", b"PK\x03\x04rest", "not a PDF: the content is a ZIP archive"),
    ("minutes.docx", b"%PDF-1.4\n...", "the content is a PDF, not a Word .docx file: rename it to .pdf"),
    ("minutes.docx", b"plain words", "not a Word .docx file: the content is text"),
    ("page.md", b"<!DOCTYPE html><html><body>x</body></html>", None),  # markup in Markdown is text
    ("photo.pdf", b"\x89PNG\r\n\x1a\n....", "not a PDF: the content is a PNG image"),
    ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....", "not a Word .docx file: the content is an old binary Office file"),
    ("script.exe", b"MZ....", "unsupported file type .exe"),
    ("utf16.txt", "hello".encode("utf-16"), "not text: the content is UTF-16 text"),
])
def test_type_is_checked_by_content(name, data, expected):
    if expected is None:
        assert convert_bytes(data, name).kind == "markdown"
        return
    with pytest.raises(ConversionError) as info:
        convert_bytes(data, name)
    assert info.value.reason.startswith(expected), info.value.reason


def test_text_is_the_files_own_text(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes("\ufeff# Title\n\nAnn met Bob.\n".encode())
    assert convert(path, MB) == Converted("# Title\n\nAnn met Bob.\n", "markdown")


def test_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "report.pdf"
    make_pdf(path)
    assert reason_of(path, max_bytes=1000).startswith("too large")


# ------------------------------------------------------------- limits in a child process


def test_isolated_conversion_gives_the_same_result(tmp_path):
    path = tmp_path / "report.pdf"
    make_pdf(path)
    assert convert_isolated(path.read_bytes(), path.name) == convert(path, 10 * MB)
    secret = tmp_path / "secret.pdf"
    make_pdf(secret, password="x")
    with pytest.raises(ConversionError, match="^encrypted PDF"):
        convert_isolated(secret.read_bytes(), secret.name)


def test_pdf_bomb_stream_is_refused(tmp_path):
    path = tmp_path / "bomb.pdf"
    make_pdf_bomb(path, content_mb=80)  # over pypdf's cap on a decompressed stream
    assert path.stat().st_size < 1_000_000
    assert "PDF bomb" in reason_of(path, max_bytes=10 * MB)


def test_isolated_conversion_stops_at_the_time_limit(tmp_path):
    path = tmp_path / "slow.pdf"
    make_pdf_bomb(path, content_mb=5)  # under the cap, but parsing it takes many seconds
    with pytest.raises(ConversionError, match="took over 1.5 s"):
        convert_isolated(path.read_bytes(), path.name, timeout_s=1.5)


def test_isolated_conversion_stops_at_the_memory_limit(tmp_path):
    path = tmp_path / "hungry.pdf"
    make_pdf_bomb(path, content_mb=5)  # its operators take hundreds of MB once parsed
    with pytest.raises(ConversionError, match="memory"):
        convert_isolated(path.read_bytes(), path.name, memory_mb=150)


def test_truth_text_matches_the_report():
    assert truth_text(REPORT).count("\n\n") == len(REPORT) - 1
