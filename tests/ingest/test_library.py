"""Adding and removing documents: safe names, no way out of the corpus folder, atomic writes,
and a refused file leaves the corpus as it was. Then the corpus reader and the splitter on
converted files: pages and headings reach the passages."""

from __future__ import annotations

import pytest

from qa.ingest.files import Skipped, load_documents
from qa.ingest.library import RefusedFile, add_file, corpus_path, remove_file, safe_name
from qa.ingest.split import PassageSplitter, regex_sentences
from qa.types import Document
from tests.ingest.samples import ARTICLE_HTML, REPORT, make_docx, make_image_only_pdf, make_pdf, make_zip_bomb_docx

MB = 2**20


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("name,safe", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
    ("/absolute/path/report.PDF", "report.pdf"),
    (".hidden.md", "hidden.md"),
    ("a\x00b\u202e.txt", "a_b.txt"),
    ("Report (final) 2025.docx", "Report (final) 2025.docx"),
    ("ünïcode café.html", "ünïcode café.html"),
    ("x" * 300 + ".txt", "x" * 116 + ".txt"),
])
def test_safe_names(name, safe):
    assert safe_name(name) == safe


@pytest.mark.parametrize("name", ["....pdf", "payload.exe", "noextension", "", "../..", "report.pdf.sh"])
def test_unusable_names_are_refused(name):
    with pytest.raises(RefusedFile):
        safe_name(name)


@pytest.mark.parametrize("source", ["../outside.txt", "/etc/passwd", "a/../../b.txt", ""])
def test_no_path_leads_out_of_the_corpus(tmp_path, source):
    with pytest.raises(FileNotFoundError):
        corpus_path(tmp_path, source)


def test_link_out_of_the_corpus_is_not_a_document(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (docs / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(FileNotFoundError):
        corpus_path(docs, "link.txt")
    with pytest.raises(RefusedFile):
        remove_file(docs, "link.txt")
    assert (tmp_path / "secret.txt").exists()


def test_add_writes_the_file_under_its_safe_name(tmp_path):
    src = tmp_path / "in" / "Annual Report.pdf"
    src.parent.mkdir()
    make_pdf(src)
    docs = tmp_path / "docs"
    added = add_file(src, docs, 10 * MB, name="../Annual Report.pdf")
    assert added.source == "Annual Report.pdf" and added.pages == 4 and not added.replaced
    assert (docs / "Annual Report.pdf").read_bytes() == src.read_bytes()
    assert [p.name for p in docs.iterdir()] == ["Annual Report.pdf"]  # no temporary file left
    assert add_file(src, docs, 10 * MB).replaced


@pytest.mark.parametrize("maker,name,why", [
    (lambda p: make_pdf(p, password="pw"), "secret.pdf", "encrypted PDF"),
    (make_image_only_pdf, "scan.pdf", "no text layer"),
    (lambda p: make_zip_bomb_docx(p, unpacked_mb=3), "bomb.docx", "ZIP bomb"),
    (lambda p: p.write_bytes(b"%PDF-1.4 not really"), "fake.txt", "the content is a PDF"),
    (lambda p: p.write_text("plain words"), "renamed.pdf", "not a PDF"),
])
def test_refused_file_names_it_says_why_and_changes_nothing(tmp_path, maker, name, why):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "keep.txt").write_text("Ann met Bob in Paris.")
    src = tmp_path / name
    maker(src)
    with pytest.raises(RefusedFile) as info:
        add_file(src, docs, 10 * MB)
    message = str(info.value)
    assert message.startswith(name) and why.lower() in message.lower(), message
    assert sorted(p.name for p in docs.iterdir()) == ["keep.txt"]


def test_oversized_file_is_refused(tmp_path):
    src = tmp_path / "big.txt"
    src.write_text("word " * 5000)
    with pytest.raises(RefusedFile, match="^big.txt: too large"):
        add_file(src, tmp_path / "docs", 10_000)


def test_remove(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "a.txt").write_text("Ann met Bob.")
    remove_file(docs, "sub/a.txt")
    assert not (docs / "sub" / "a.txt").exists()
    with pytest.raises(RefusedFile, match="no such document"):
        remove_file(docs, "sub/a.txt")
    with pytest.raises(RefusedFile):
        remove_file(docs, "../docs/sub")


# ------------------------------------------------------- converted files in the corpus


def test_corpus_reads_pdf_html_docx_and_lists_the_bad_ones(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "report.pdf")
    (docs / "page.html").write_text(ARTICLE_HTML)
    make_docx(docs / "minutes.docx")
    make_pdf(docs / "secret.pdf", password="pw")
    make_image_only_pdf(docs / "scan.pdf")
    (docs / "notes.txt").write_text("Ann met Bob.")
    found, skipped = load_documents(docs)
    assert sorted(d.source for d in found) == ["minutes.docx", "notes.txt", "page.html", "report.pdf"]
    reasons = {s.source: s.reason for s in skipped}
    assert reasons["secret.pdf"].startswith("encrypted PDF") and "no text layer" in reasons["scan.pdf"]
    assert all(isinstance(s, Skipped) for s in skipped)


def test_passages_of_a_pdf_carry_their_page(tmp_path):
    path = tmp_path / "report.pdf"
    make_pdf(path)
    (doc,), _ = load_documents(tmp_path)
    passages = PassageSplitter(sentences=regex_sentences, passage_words=40).split([doc])
    assert {p.page for p in passages} == {1, 2, 3, 4}
    for p in passages:
        assert doc.text[p.start:p.end] == p.text
        assert doc.page_at(p.start) == p.page
    chemist = next(p for p in passages if "Helena Marsh" in p.text)
    assert chemist.page == 2 and chemist.heading == "Water quality"
    assert REPORT[1][0][1] == "Water quality"


def test_html_and_docx_headings_become_passage_headings(tmp_path):
    (tmp_path / "page.html").write_text(ARTICLE_HTML)
    make_docx(tmp_path / "minutes.docx")
    found, _ = load_documents(tmp_path)
    passages = PassageSplitter(sentences=regex_sentences, passage_words=12).split(found)
    by_text = {p.text.split("\n")[-1][:30]: p for p in passages}
    assert all(p.page is None for p in passages)
    storms = next(p for p in passages if "delayed twice by storms" in p.text and p.heading)
    assert storms.heading == "Delays and costs"
    # a short list item of the Word file is body text, not a heading: its format says so
    item = next(p for p in passages if "Renew the cast-iron mains" in p.text)
    assert item.heading == "Decisions" or item.text.startswith("Decisions")
    assert by_text


def test_document_without_pages_has_no_page():
    assert Document("a.txt", "text").page_at(3) is None
