"""The local backend end to end through ``QA.index()``: builds, freshness, corruption, reuse."""

import json
import os

import pytest

from qa import QA
from qa.index import EmptyCorpusError


def make_qa(corpus, tmp_path):
    return QA(docs_dir=corpus, index_dir=tmp_path / "index")


def test_builds_then_reuses(corpus, tmp_path):
    qa = make_qa(corpus, tmp_path)
    index, report = qa.index()
    assert report is not None and report.action == "built" and index.backend == "local"
    assert report.documents == 3 and report.passages == index.passage_count > 3
    folder = qa.store.current_folder()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["documents"]) == {"bakery.md", "notes/chess.txt", "volcanoes.txt"}
    assert manifest["embedding_model"] == "all-MiniLM-L6-v2" and manifest["format"] >= 1
    again = make_qa(corpus, tmp_path)
    _, report2 = again.index()
    assert report2 is None, "a fresh index is loaded, not rebuilt"
    assert again.store.current_folder() == folder


def test_rebuilds_when_a_document_changes(corpus, tmp_path):
    qa = make_qa(corpus, tmp_path)
    qa.index()
    (corpus / "notes" / "chess.txt").write_text("The chess club now meets on Fridays.\n")
    again = make_qa(corpus, tmp_path)
    _, report = again.index()
    assert report is not None and report.reason == "documents changed"
    assert report.action == "updated" and report.changed == ["notes/chess.txt"] and report.reused == 2
    assert any("Fridays" in p.text for p in again.store.iter_passages())


def test_rebuilds_when_a_document_is_added_or_removed(corpus, tmp_path):
    make_qa(corpus, tmp_path).index()
    (corpus / "new.txt").write_text("A new document about gardening tomatoes.")
    _, report = make_qa(corpus, tmp_path).index()
    assert report and "added or removed" in report.reason
    (corpus / "volcanoes.txt").unlink()
    index, report = make_qa(corpus, tmp_path).index()
    assert report and report.removed == ["volcanoes.txt"] and "volcanoes.txt" not in index.sources


def test_touching_a_file_without_changing_it_does_not_rebuild(corpus, tmp_path):
    make_qa(corpus, tmp_path).index()
    os.utime(corpus / "bakery.md", None)
    _, report = make_qa(corpus, tmp_path).index()
    assert report is None


def test_rebuilds_when_settings_change(corpus, tmp_path):
    qa = make_qa(corpus, tmp_path)
    qa.index()
    other = QA(docs_dir=corpus, index_dir=tmp_path / "index", settings=qa.settings.with_(passage_words=40))
    _, report = other.index()
    assert report is not None and report.reason == "settings changed"


@pytest.mark.parametrize("victim", ["dense.faiss", "passages.jsonl", "manifest.json", "bm25"])
def test_rebuilds_a_corrupted_index(corpus, tmp_path, victim):
    qa = make_qa(corpus, tmp_path)
    index, _ = qa.index()
    target = qa.store.current_folder() / victim
    if target.is_dir():
        for f in target.iterdir():
            f.write_bytes(b"garbage")
    else:
        target.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 2])
    rebuilt, report = make_qa(corpus, tmp_path).index()
    assert report is not None, f"corrupt {victim} was detected"
    assert rebuilt.passage_count == index.passage_count


def test_current_pointing_nowhere_rebuilds(corpus, tmp_path):
    make_qa(corpus, tmp_path).index()
    (tmp_path / "index" / "CURRENT").write_text("build-does-not-exist")
    _, report = make_qa(corpus, tmp_path).index()
    assert report is not None


def test_only_the_live_build_is_kept(corpus, tmp_path):
    qa = make_qa(corpus, tmp_path)
    qa.index()
    qa.index(force=True)
    builds = list((tmp_path / "index").glob("build-*"))
    assert len(builds) == 1 and (tmp_path / "index" / "CURRENT").read_text() == builds[0].name


def test_empty_corpus_is_a_clear_error(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "blank.txt").write_text("")
    with pytest.raises(EmptyCorpusError, match="blank.txt: empty file"):
        make_qa(tmp_path / "docs", tmp_path).index()


def test_skipped_files_are_reported(corpus, tmp_path):
    (corpus / "bad.txt").write_bytes(b"\xff\xfe\xfa not utf8")
    index, report = make_qa(corpus, tmp_path).index()
    assert [s.source for s in report.skipped] == ["bad.txt"]
    assert "Skipped bad.txt" in report.summary()
    assert [s.source for s in index.skipped] == ["bad.txt"]
