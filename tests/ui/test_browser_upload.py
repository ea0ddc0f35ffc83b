"""Documents in through the page, in a real browser (Chromium via Playwright) against the real app:
upload a PDF with the page's file control, see it listed with its pages, ask about it and see the
page cited; a refused file is named with the reason; remove it again. Takes the README's
screenshot (an answer cited by page).

Assertions marked [quality] depend on the trained reader answering well.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.ingest.samples import make_image_only_pdf, make_pdf
from tests.ui.test_browser import ANSWER_MS, ask

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = ROOT / "docs" / "screenshot.png"
PDF = "riverside-water-report-2025.pdf"


VIEWPORT_HEIGHT = 1000  # read by the page fixture (tests/ui/conftest.py)


def upload(page, *paths) -> str:
    """Put files into the page's upload control; the status text once the index has caught up."""
    page.set_input_files("#upload input[type=file]", [str(p) for p in paths])
    page.wait_for_function("""() => {
        const s = document.querySelector('#upload-status');
        return s && s.querySelector('.qa-notice') && !s.querySelector('.qa-progress');
    }""", timeout=ANSWER_MS)
    return page.inner_text("#upload-status")


def test_upload_a_pdf_ask_about_it_and_see_the_page_cited(page, ui_app, tmp_path):
    pdf = tmp_path / PDF
    make_pdf(pdf)
    assert page.locator("#upload input[type=file]").count() == 1
    status = upload(page, pdf)
    assert f"Added {PDF} (4 pages)." in status, status
    assert (ui_app.docs / PDF).read_bytes() == pdf.read_bytes()  # written into the corpus as it came
    page.wait_for_function(f"() => document.querySelector('#documents').innerText.includes('{PDF}')")
    assert re.search(rf"{re.escape(PDF)} \(4 pages, \d+ passages?\)", page.inner_text("#documents"))
    # answered from without a restart, and cited by page
    reply = ask(page, "Who is the chief chemist of the Riverside Water Board?")
    source = reply.locator(".qa-citation .qa-source").first.inner_text()
    assert PDF in source and re.search(r"page 2, characters [\d,]+–[\d,]+", source), source
    assert "Helena Marsh" in reply.locator(".qa-answer").inner_text()  # [quality]
    assert "Helena Marsh" in reply.locator("mark").first.inner_text()  # [quality]
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))


def test_a_refused_file_is_named_with_the_reason_and_nothing_changes(page, ui_app, tmp_path):
    scan = tmp_path / "scanned-minutes.pdf"
    make_image_only_pdf(scan)
    before = sorted(p.name for p in ui_app.docs.iterdir())
    status = upload(page, scan)
    assert "Not added: scanned-minutes.pdf: no text layer" in status, status
    assert sorted(p.name for p in ui_app.docs.iterdir()) == before
    assert "scanned-minutes.pdf" not in page.inner_text("#documents")


def test_remove_a_document_from_the_page(page, ui_app, tmp_path):
    note = tmp_path / "lighthouse.txt"
    note.write_text("The old lighthouse on Gull Island was painted red and white in 1931.\n")
    assert "Added lighthouse.txt." in upload(page, note)
    page.wait_for_function("() => document.querySelector('#documents').innerText.includes('lighthouse.txt')")
    page.click("#remove-doc input")
    page.get_by_role("option", name="lighthouse.txt").click()
    page.click("#remove")
    page.wait_for_function("""() => {
        const s = document.querySelector('#upload-status');
        return s && s.querySelector('.qa-notice') && s.innerText.includes('Removed lighthouse.txt.')
            && !s.querySelector('.qa-progress');
    }""", timeout=ANSWER_MS)
    assert not (ui_app.docs / "lighthouse.txt").exists()
    page.wait_for_function("() => !document.querySelector('#documents').innerText.includes('lighthouse.txt')")


def test_an_oversized_file_is_named_and_refused_before_it_is_sent(page, ui_app, tmp_path):
    big = tmp_path / "huge-report.pdf"
    make_pdf(big)
    with open(big, "ab") as fh:  # past QA_MAX_FILE_MB (10): Gradio's limit is set to it
        fh.write(b"%" * (10 * 2**20))
    before = sorted(p.name for p in ui_app.docs.iterdir())
    page.set_input_files("#upload input[type=file]", [str(big)])
    toast = page.get_by_text(re.compile(r"exceed the maximum allowed size of 10(\.0)? ?Mb", re.I))
    toast.first.wait_for(timeout=30_000)
    assert "huge-report.pdf" in toast.first.inner_text()
    assert sorted(p.name for p in ui_app.docs.iterdir()) == before
