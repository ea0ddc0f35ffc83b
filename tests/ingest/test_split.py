
import pytest

from qa.ingest.files import load_documents
from qa.ingest.split import PassageSplitter, blocks_of, is_heading, regex_sentences
from qa.types import Document
from tests.conftest import ARTICLE_DIR


def test_reads_txt_and_md_recursively(corpus):
    docs, skipped = load_documents(corpus)
    assert sorted(d.source for d in docs) == ["bakery.md", "notes/chess.txt", "volcanoes.txt"]
    assert skipped == []


def test_skips_what_it_cannot_read_and_says_why(corpus):
    (corpus / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (corpus / "empty.md").write_text("  \n")
    (corpus / "ignored.exe").write_bytes(b"MZ\x00")
    (corpus / "broken.pdf").write_bytes(b"%PDF")
    docs, skipped = load_documents(corpus)
    reasons = {s.source: s.reason for s in skipped}
    assert len(docs) == 3
    assert "UTF-8" in reasons["latin1.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.md"]
    assert "ignored.exe" not in reasons  # not a document type at all
    assert reasons["broken.pdf"] == "not a PDF: the content is text"  # judged by content


def test_does_not_follow_symlinks_out_of_the_corpus(corpus, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("The password is hunter2.")
    (corpus / "link.txt").symlink_to(outside)
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "x.txt").write_text("Outside folder text.")
    (corpus / "linkdir").symlink_to(tmp_path / "outdir")
    docs, skipped = load_documents(corpus)
    assert all("hunter2" not in d.text and "Outside" not in d.text for d in docs)
    assert any(s.source == "link.txt" and "outside" in s.reason for s in skipped)


def test_missing_corpus_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_documents(tmp_path / "nope")


def test_headings_are_recognised():
    assert is_heading("Personnel Changes:")
    assert is_heading("# Title")
    assert is_heading("Building a European Consensus")
    assert not is_heading("The talks were productive.")
    assert not is_heading("A long line " * 10)


def test_passages_keep_exact_offsets_on_the_article():
    docs, _ = load_documents(ARTICLE_DIR)
    passages = PassageSplitter().split(docs)
    text = {d.source: d.text for d in docs}
    assert len(passages) > 10
    for p in passages:
        assert text[p.source][p.start : p.end] == p.text
        for e in p.entities:
            assert p.start <= e.start < e.end <= p.end
    covered = set()
    for p in passages:
        covered.update(range(p.start, p.end))
    body = [i for i, ch in enumerate(text[passages[0].source]) if not ch.isspace()]
    assert all(i in covered for i in body), "every character of the article is in some passage"


def test_heading_opens_its_passage_and_labels_the_next():
    text = "Intro line one is here.\nPersonnel Changes:\n" + " ".join(
        f"Sentence number {i} is about staff." for i in range(12)
    )
    doc = Document("a.txt", text)
    passages = PassageSplitter(sentences=regex_sentences, passage_words=20).split([doc])
    first = [p for p in passages if p.text.startswith("Personnel Changes:")]
    assert first, "the heading starts the passage under it"
    later = [p for p in passages if p.heading == "Personnel Changes:"]
    assert later and all(text[p.start : p.end] == p.text for p in passages)
    assert all(p.indexed_text.startswith("Personnel Changes:") for p in later)


def test_passages_overlap_by_one_sentence():
    text = " ".join(f"This is sentence {i} of the text." for i in range(20))
    passages = PassageSplitter(sentences=regex_sentences, passage_words=21).split([Document("a.txt", text)])
    assert len(passages) > 2
    for a, b in zip(passages, passages[1:]):
        assert b.start < a.end, "consecutive passages share a sentence"


def test_overlong_sentence_is_cut_into_chunks():
    text = "word " * 500
    passages = PassageSplitter(sentences=regex_sentences, passage_words=50).split([Document("a.txt", text)])
    assert len(passages) >= 10
    assert all(len(p.text.split()) <= 50 for p in passages)


def test_blocks_strip_whitespace_but_keep_offsets():
    text = "  Title  \n\n  Body text here.  \n"
    for b in blocks_of(text):
        assert text[b.start : b.end] == text[b.start : b.end].strip()
