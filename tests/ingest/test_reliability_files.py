"""Bad documents: indexing goes on with the rest and says which files it skipped and why.

Covers what tests/ingest/test_split.py doesn't: UTF-16, random binary, BOM-only, a 50 MB file (skipped
without being read), FIFOs, broken and looping symlinks, symlinks out of the corpus by every route,
file names that aren't UTF-8, a file that disappears while the corpus is read, a document that is
one giant line, an empty corpus — at the library level and through the `qa` command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import transformers  # noqa: F401 - sets up its log handler now, not on a stream a capsys test closes

import qa.ingest.files as files
from qa import QA
from qa.cli import main as cli_main
from qa.config import DEFAULT_MAX_FILE_BYTES, ConfigError, Settings
from qa.index import EmptyCorpusError
from qa.ingest.files import Skipped, load_documents, read_document
from qa.ingest.split import PassageSplitter, spacy_sentences, text_pieces
from qa.types import Document
from tests.conftest import ROOT, write_corpus

GOOD = {"bakery.md", "notes/chess.txt", "volcanoes.txt"}
MB = 2**20


def reasons_of(skipped: list[Skipped]) -> dict[str, str]:
    return {s.source: s.reason for s in skipped}


def add_bad_files(root: Path) -> dict[str, str]:
    """Every kind of bad file at once; returns {source: a word its skip reason must contain}."""
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text("The password is hunter2.")
    (outside / "more.txt").write_text("Text in a folder outside the corpus.")
    (root / "utf16.txt").write_text("Hello in UTF-16", encoding="utf-16")
    (root / "latin1.md").write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e".encode("latin-1"))
    (root / "random.txt").write_bytes(bytes(range(256)) * 8)
    (root / "empty.txt").write_bytes(b"")
    (root / "bom-only.txt").write_bytes(b"\xef\xbb\xbf \n")
    with open(root / "huge.txt", "wb") as fh:  # 50 MB, sparse: instant to make
        fh.truncate(50 * MB)
    os.mkfifo(root / "pipe.txt")  # reading it would block for ever
    (root / "loop.txt").symlink_to("loop.txt")
    (root / "dangling.txt").symlink_to("no-such-file.txt")
    (root / "escape.txt").symlink_to(Path("..") / "outside" / "secret.txt")  # relative, out of the corpus
    (root / "hop.txt").symlink_to("escape.txt")  # inside → inside → outside
    (root / "zero.txt").symlink_to("/dev/zero")  # never ends if read
    (root / "outdir").symlink_to(outside, target_is_directory=True)  # a folder out of the corpus
    (root / os.fsdecode(b"caf\xe9.txt")).write_text("A note with a Latin-1 file name.")
    return {
        "utf16.txt": "UTF-16", "latin1.md": "UTF-8", "random.txt": "binary", "empty.txt": "empty",
        "bom-only.txt": "empty", "huge.txt": "too large", "pipe.txt": "not a regular file",
        "loop.txt": "loops", "dangling.txt": "broken symbolic link", "escape.txt": "outside",
        "hop.txt": "outside", "zero.txt": "outside", "caf\\xe9.txt": "not valid UTF-8",
    }


@pytest.fixture
def bad_corpus(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = write_corpus(tmp_path / "docs")
    return root, add_bad_files(root)


# ----------------------------------------------------------------------- library level


def test_every_bad_file_is_skipped_with_its_reason_and_the_rest_is_read(bad_corpus):
    root, expected = bad_corpus
    t0 = time.perf_counter()
    docs, skipped = load_documents(root)
    assert time.perf_counter() - t0 < 10, "nothing blocks (FIFO, /dev/zero) or reads 50 MB"
    assert {d.source for d in docs} == GOOD
    reasons = reasons_of(skipped)
    assert set(reasons) == set(expected), "every bad file is reported, nothing else"
    for source, word in expected.items():
        assert word in reasons[source], f"{source}: {reasons[source]!r}"
    assert all(s.reason and s.source.isprintable() for s in skipped), "a person can read every line"
    assert not any("hunter2" in d.text or "outside the corpus" in d.text for d in docs)


def test_a_50_mb_file_is_skipped_without_being_read(tmp_path):
    root = write_corpus(tmp_path / "docs")
    with open(root / "huge.txt", "wb") as fh:
        fh.write(b"All work and no play makes Jack a dull boy.\n" * (50 * MB // 44 + 1))
    tracemalloc.start()
    try:
        docs, skipped = load_documents(root, max_bytes=Settings().max_file_bytes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * MB, f"peak {peak / MB:.1f} MB: the big file was read"
    (huge,) = skipped
    assert huge.source == "huge.txt"
    assert "too large (50.0 MB; the limit is 10 MB" in huge.reason and "QA_MAX_FILE_MB" in huge.reason
    assert {d.source for d in docs} == GOOD


def test_the_size_limit_is_exact_and_configurable(tmp_path, monkeypatch):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "at-limit.txt").write_bytes(b"a" * 999 + b".")
    (root / "over.txt").write_bytes(b"a" * 1000 + b".")
    docs, skipped = load_documents(root, max_bytes=1000)
    assert [d.source for d in docs] == ["at-limit.txt"] and [s.source for s in skipped] == ["over.txt"]
    # the default is 10 MB; QA_MAX_FILE_MB changes it; it is part of the index fingerprint
    monkeypatch.delenv("QA_MAX_FILE_MB", raising=False)
    assert Settings().max_file_bytes == DEFAULT_MAX_FILE_BYTES == 10 * MB
    monkeypatch.setenv("QA_MAX_FILE_MB", "64")
    assert Settings().max_file_bytes == 64 * MB
    assert Settings().index_fingerprint() != Settings(max_file_bytes=10 * MB).index_fingerprint()
    for bad in ("ten", "-1", "0", "nan", "inf"):
        monkeypatch.setenv("QA_MAX_FILE_MB", bad)
        with pytest.raises(ConfigError, match="QA_MAX_FILE_MB must be a positive number of megabytes"):
            Settings()


def test_a_file_that_grows_past_the_limit_while_read_is_skipped(tmp_path, monkeypatch):
    root = tmp_path / "docs"
    root.mkdir()
    path = root / "growing.txt"
    path.write_bytes(b"Short.")
    real_open = open

    def open_after_growth(file, *args, **kwargs):  # the file grows between stat() and open()
        if Path(file) == path:
            path.write_bytes(b"Much longer text now. " * 100)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(files, "open", open_after_growth, raising=False)
    result = read_document(path, root, max_bytes=100)
    assert isinstance(result, Skipped) and "grew past the limit" in result.reason


def test_a_file_that_disappears_while_the_corpus_is_read(corpus, monkeypatch):
    (corpus / "vanishing.txt").write_text("Here one moment, gone the next.")
    real_iter = files.iter_files

    def listing_then_removal(root, extensions):  # listed by the walk, removed before it is read
        for path in real_iter(root, extensions):
            if path.name == "vanishing.txt":
                path.unlink()
            yield path

    monkeypatch.setattr(files, "iter_files", listing_then_removal)
    docs, skipped = load_documents(corpus)
    assert {d.source for d in docs} == GOOD
    assert reasons_of(skipped) == {"vanishing.txt": "disappeared while the corpus was being read"}


def test_a_file_that_disappears_between_stat_and_open(corpus, monkeypatch):
    path = corpus / "vanishing.txt"
    path.write_text("Here one moment, gone the next.")
    real_open = open

    def open_after_removal(file, *args, **kwargs):
        if Path(file) == path:
            path.unlink()
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(files, "open", open_after_removal, raising=False)
    assert read_document(path, corpus) == Skipped("vanishing.txt", "disappeared while the corpus was being read")


def test_a_corpus_folder_reached_through_a_symlink_is_read(corpus, tmp_path):
    link = tmp_path / "linked-docs"
    link.symlink_to(corpus, target_is_directory=True)
    (corpus / "inner-link.txt").symlink_to("volcanoes.txt")  # inside → inside is fine
    docs, skipped = load_documents(link)
    assert {d.source for d in docs} == GOOD | {"inner-link.txt"} and skipped == []


def test_giant_single_line_document_is_split_in_pieces_spacy_accepts():
    """spaCy refuses texts over nlp.max_length (1,000,000 characters): a document that is one
    giant line used to crash the whole build. Here the limit is lowered to keep the test fast."""
    from qa.models import load_corpus_nlp

    nlp = load_corpus_nlp()
    nlp.max_length = 5_000
    text = "Intro.\n" + " ".join(f"Anna Berg met Tomas Ruiz in Lyon on day {i}." for i in range(800)) + "\nEnd."
    assert len(text) > 6 * nlp.max_length
    passages = PassageSplitter(spacy_sentences(nlp), passage_words=60).split([Document("giant.txt", text)])
    assert passages and all(text[p.start : p.end] == p.text for p in passages)
    covered = set()
    for p in passages:
        covered.update(range(p.start, p.end))
        assert all(p.start <= e.start < e.end <= p.end for e in p.entities)
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), "no text lost at the cuts"
    assert any(e.label == "PERSON" for p in passages for e in p.entities), "entities still found"


@pytest.mark.parametrize("text, limit", [("a b c d e f g h", 3), ("x" * 25, 10), ("", 5), ("word " * 50, 12)])
def test_pieces_cover_the_text_within_the_limit(text, limit):
    pieces = text_pieces(text, limit)
    assert "".join(text[s:e] for s, e in pieces) == text
    assert all(e - s <= limit for s, e in pieces)


# ----------------------------------------------------------------- index and command line


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    rc = cli_main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_qa_index_goes_on_and_lists_every_skipped_file(bad_corpus, tmp_path, capsys):
    root, expected = bad_corpus
    (root / "vanishing.txt").write_text("Gone before it is read.")
    real_iter = files.iter_files

    def listing_then_removal(root_, extensions):
        for path in real_iter(root_, extensions):
            if path.name == "vanishing.txt":
                path.unlink()
            yield path

    index_dir = tmp_path / "index"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(files, "iter_files", listing_then_removal)
        rc, out, err = run_cli(capsys, "--docs", str(root), "--index-dir", str(index_dir), "index")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Built the index") and "3 document(s)" in lines[0]
    for source, word in {**expected, "vanishing.txt": "disappeared"}.items():
        assert any(line.startswith(f"Skipped {source}: ") and word in line for line in lines), source
    # the index holds the good documents only, and the next run reuses it and lists the skips again
    qa = QA(docs_dir=root, index_dir=index_dir)
    index, report = qa.index()
    assert set(index.sources) == GOOD
    assert not any("hunter2" in p.text for p in qa.store.iter_passages())
    rc, out, _ = run_cli(capsys, "--docs", str(root), "--index-dir", str(index_dir), "index")
    assert rc == 0 and "up to date" in out.splitlines()[0]
    assert all(f"Skipped {source}: " in out for source in expected)


def test_a_corpus_of_only_bad_files_is_a_clear_error(tmp_path, capsys):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "empty.txt").write_text("")
    (root / "latin1.txt").write_bytes(b"caf\xe9")
    with pytest.raises(EmptyCorpusError, match=r"No document in .* could be indexed \(empty.txt: empty file; "
                                               r"latin1.txt: not UTF-8"):
        QA(docs_dir=root, index_dir=tmp_path / "index").index()
    rc, out, err = run_cli(capsys, "--docs", str(root), "--index-dir", str(tmp_path / "index"), "index")
    assert rc == 2 and out == ""
    assert err.startswith("qa: error: No document in") and err.count("\n") == 1


def test_many_bad_files_make_a_message_of_reasonable_length(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(40):
        (root / f"blank{i:02}.txt").write_text(" ")
    with pytest.raises(EmptyCorpusError) as err:
        QA(docs_dir=root, index_dir=tmp_path / "index").index()
    assert "and 35 more" in str(err.value) and len(str(err.value)) < 400


def qa_command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("command", [["index"], ["ask", "Who founded the bakery?"], ["ask", "--json", "Who?"]])
def test_empty_corpus_exits_non_zero_with_one_line_and_no_traceback(tmp_path, command):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "ignored.exe").write_bytes(b"MZ")  # not a document type (a .pdf would be read, and listed)
    done = qa_command("--docs", str(root), "--index-dir", str(tmp_path / "index"), *command, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"qa: error: The corpus folder {root} holds no document (.txt, .md, .pdf, .html, .htm, "
                           ".docx). Add some and ask again.\n")


def test_missing_corpus_folder_and_bad_setting_are_one_line_errors(tmp_path, capsys, monkeypatch):
    rc, out, err = run_cli(capsys, "--docs", str(tmp_path / "nope"), "--index-dir", str(tmp_path / "i"), "index")
    assert rc == 2 and err == f"qa: error: The corpus folder {tmp_path / 'nope'} does not exist\n"
    monkeypatch.setenv("QA_MAX_FILE_MB", "lots")
    rc, out, err = run_cli(capsys, "--docs", str(tmp_path), "index")
    assert rc == 2 and err == "qa: error: QA_MAX_FILE_MB must be a positive number of megabytes, not 'lots'.\n"
