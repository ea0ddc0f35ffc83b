"""PDF, HTML and Word documents end to end, on both index backends (local files, PostgreSQL):
indexed, answered from, cited by page, their text as indexed from ``QA.document_text``; added
and removed one at a time; and the command line's ``qa add``, ``qa docs`` and ``qa remove``.

Assertions marked [quality] depend on the trained reader answering well.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from qa import QA
from tests.conftest import ROOT
from tests.ingest.samples import ARTICLE_HTML, make_docx, make_image_only_pdf, make_pdf

pytestmark = pytest.mark.slow


@pytest.fixture(params=["local", "postgresql"])
def qa_over_files(request, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "water-report.pdf")
    (docs / "bridge.html").write_text(ARTICLE_HTML, encoding="utf-8")
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    return QA(docs_dir=docs, index_dir=tmp_path / "index", database_url=url)


def test_converted_documents_are_answered_from_and_cited_by_page(qa_over_files, tmp_path):
    qa = qa_over_files
    summary, _ = qa.index()
    assert summary.sources == ["bridge.html", "water-report.pdf"]
    ans = qa.ask("Who is the chief chemist of the Riverside Water Board?")
    c = ans.citations[0]
    assert c.source == "water-report.pdf" and c.page == 2
    text = qa.document_text(c.source)
    assert text[c.start:c.end] == c.text and "Page 2 of" not in text  # the converted text, footers gone
    assert ans.answer == "Dr. Helena Marsh" or "Helena Marsh" in (ans.answer or "")  # [quality]
    if ans.answer is not None:
        assert text[c.answer_start:c.answer_end] == ans.answer
    html = qa.ask("Who led the Harbour Bridge project?")
    h = html.citations[0]
    assert h.source == "bridge.html" and h.page is None
    assert qa.document_text("bridge.html")[h.start:h.end] == h.text
    assert "SCRIPT-SECRET" not in qa.document_text("bridge.html")
    assert "Marta Olsen" in (html.answer or "")  # [quality]

    # one document in, one out, each alone
    make_docx(qa.settings.docs_dir / "minutes.docx")
    report = qa.add_document("minutes.docx")
    assert report is not None and report.added == ["minutes.docx"] and report.embedded > 0
    assert qa.index()[0].sources == ["bridge.html", "minutes.docx", "water-report.pdf"]
    assert "47 million pounds" in (qa.ask("What budget did the board approve?").answer or "")  # [quality]
    qa.remove_document("bridge.html")
    assert qa.index()[0].sources == ["minutes.docx", "water-report.pdf"]
    with pytest.raises(FileNotFoundError):
        qa.document_text("../docs/bridge.html")


def qa_cli(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("QA_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_cli_add_docs_remove(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    (docs / "bakery.txt").write_text("The Corner Bakery was founded in 1987 by Maria Lopez in Valencia.\n")
    make_pdf(tmp_path / "Water Report.pdf")
    make_image_only_pdf(tmp_path / "scan.pdf")
    where = ["--docs", str(docs), "--index-dir", str(index)]
    done = qa_cli(*where, "add", str(tmp_path / "Water Report.pdf"), str(tmp_path / "scan.pdf"), cwd=tmp_path)
    assert done.returncode == 1  # one of the two was refused
    assert f"Added Water Report.pdf (4 pages) in {docs}" in done.stdout
    assert "qa: refused scan.pdf: no text layer" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in docs.iterdir()) == ["Water Report.pdf", "bakery.txt"]

    listed = qa_cli(*where, "docs", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("  ")[0].strip(): line.split() for line in listed.stdout.splitlines()[1:3]}
    assert rows["Water Report.pdf"][-2] == "4" and rows["bakery.txt"][-2] == "-"

    asked = qa_cli(*where, "ask", "Who is the chief chemist of the Riverside Water Board?", cwd=tmp_path)
    assert "Water Report.pdf, page 2 [" in asked.stdout, asked.stdout

    gone = qa_cli(*where, "remove", "Water Report.pdf", cwd=tmp_path)
    assert gone.returncode == 0 and f"Removed Water Report.pdf from {docs}" in gone.stdout
    assert sorted(p.name for p in docs.iterdir()) == ["bakery.txt"]
    bad = qa_cli(*where, "remove", "../docs/bakery.txt", cwd=tmp_path)
    assert bad.returncode == 2 and "not a document of the corpus" in bad.stderr
    assert (docs / "bakery.txt").exists()
