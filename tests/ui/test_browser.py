"""The chat page in a real browser (Debian's Chromium driven by Playwright), against the real app.

Each test opens a fresh page (a new conversation) on the app that the module starts once.
Assertions marked [quality] depend on the trained reader answering well; the others only on
the page, retrieval, the follow-up resolver and the abstention of off-topic questions.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTICLE = "us-ukraine-peace-talks-2025-12-02.txt"
ANSWER_MS = 180_000
# a reply is final when it holds an answer/abstention or a notice other than "working on it"
FINAL_REPLY = """(n) => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    const last = bots[bots.length - 1];
    return bots.length > n && !!last.querySelector('.qa-reply, .qa-notice:not(.qa-progress)');
}"""


VIEWPORT_HEIGHT = 900  # read by the page fixture (tests/ui/conftest.py)


def ask(page, question: str):
    """Type ``question``, press Ask, and return the assistant's reply once it is final."""
    n = page.locator('#chat [data-testid="bot"]').count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(FINAL_REPLY, arg=n, timeout=ANSWER_MS)
    return page.locator('#chat [data-testid="bot"]').last


def test_page_lists_the_documents_and_example_questions(page):
    assert ARTICLE in page.inner_text("#documents")
    assert re.search(r"Ready: \d+ documents?, \d+ passages indexed", page.inner_text("#index-status"))
    for q in ("Who led the Ukrainian officials in Florida?", "What is the recipe for banana bread?"):
        assert page.get_by_role("button", name=q).is_visible()


def test_answer_shows_highlighted_span_source_position_and_confidence(page):
    reply = ask(page, "Who led the Ukrainian officials in Florida?")
    answer = reply.locator(".qa-answer")
    assert answer.count() == 1, reply.inner_text()  # [quality] answered rather than abstained
    assert "Rustem Umerov" in answer.inner_text()  # [quality]
    assert "Rustem Umerov" in reply.locator("mark").first.inner_text()  # [quality]
    passage = reply.locator(".qa-citation .qa-passage").first.inner_text()
    assert "led by National Security and Defence Council Secretary Rustem Umerov" in passage
    source = reply.locator(".qa-citation .qa-source").first.inner_text()
    assert ARTICLE in source and re.search(r"line \d+, characters [\d,]+–[\d,]+", source)
    assert re.search(r"Confidence: \d+% \((high|medium|low)\)", reply.inner_text())
    # the question stays on screen as the person typed it
    assert page.locator('#chat [data-testid="user"]').last.inner_text().strip() == (
        "Who led the Ukrainian officials in Florida?")
    # the README's screenshot is taken by test_browser_upload.py: an answer from an uploaded PDF


def test_several_citations_are_collapsed_after_the_first(page):
    reply = ask(page, "Which American envoy is heading to Russia?")
    assert "Steve Witkoff" in reply.locator(".qa-answer").inner_text()  # [quality]
    more = reply.locator("details.qa-more")
    assert more.count() == 1  # [quality] the answer is found in two passages
    assert reply.locator(".qa-citation").first.is_visible()
    hidden = more.locator(".qa-citation").first
    assert not hidden.is_visible()
    more.locator("summary").click()
    hidden.wait_for(state="visible")
    assert "Steve Witkoff" in hidden.locator("mark").inner_text()


def test_unanswerable_question_says_so_and_shows_the_closest_passage(page):
    page.get_by_role("button", name="What is the recipe for banana bread?").click()
    page.wait_for_function(FINAL_REPLY, arg=0, timeout=ANSWER_MS)
    reply = page.locator('#chat [data-testid="bot"]').last
    assert re.search(r"The (article doesn't|documents don't) say\.", reply.locator(".qa-abstain").inner_text())  # [quality]
    assert reply.locator(".qa-answer").count() == 0 and reply.locator("mark").count() == 0
    closest = reply.locator(".qa-closest")
    assert "Closest passage (not an answer)" in closest.inner_text()
    assert ARTICLE in closest.locator(".qa-source").inner_text()


def test_follow_up_question_uses_the_conversation(page):
    first = ask(page, "Who did Witkoff plan to meet?")
    assert "Putin" in first.inner_text()  # passage retrieved (answer or closest passage)
    second = ask(page, "Where?")
    assert "Understood as: “Where did Witkoff plan to meet" in second.inner_text()
    assert "Moscow" in second.inner_text()  # the passage that answers it was retrieved


def test_bad_input_gets_a_friendly_message(page):
    reply = ask(page, "")
    assert "The question is empty" in reply.inner_text()
    reply = ask(page, "Why? " * 300)
    assert "too long" in reply.inner_text() and "Traceback" not in page.inner_text("#chat")


def test_html_in_a_question_is_shown_as_text_and_never_runs(page):
    question = '<img src=x onerror="window.__xss=3"><script>window.__xss=4</script> Who met <b>Macron</b>?'
    ask(page, question)
    shown = page.locator('#chat [data-testid="user"]').last
    assert shown.inner_text().strip() == question
    assert page.locator("#chat img[src='x'], #chat script, #chat [data-testid='user'] b").count() == 0
    assert page.evaluate("window.__xss") is None


def test_html_in_a_document_is_shown_as_text_and_never_runs_after_a_rebuild_with_progress(page, ui_app):
    """Adding a document makes the index stale: the page shows the rebuild, then the new document."""
    name = "factory-notes-<u>x.txt"  # a file name with markup in it, too
    script = "<script>window.__xss=1</script>"
    image = '<img src=x onerror="window.__xss=2">'
    (ui_app.docs / name).write_text(
        "The Glass Widget Factory\n"
        f"The glass widget factory in Springfield is managed by Alice Moreau. {script} "
        f"It employs forty glassblowers. {image} It opened in 1998.\n", encoding="utf-8")
    # remember every "Building the index" text the page shows, however briefly
    page.evaluate("""() => { window.__progress = [];
        new MutationObserver(() => { const t = document.body.innerText;
            const m = t.match(/Building the index[^\\n]*/); if (m) window.__progress.push(m[0]); })
        .observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
    reply = ask(page, "Who manages the glass widget factory in Springfield?")
    assert page.evaluate("window.__progress"), "no index progress was shown while rebuilding"
    assert any("documents were added or removed" in p for p in page.evaluate("window.__progress"))
    text = reply.inner_text()
    assert script in text and image in text  # the passage (answer or closest) shows the markup as text
    assert name in reply.locator(".qa-source").first.inner_text()
    assert page.locator("#chat img[src='x'], #chat script").count() == 0
    assert page.evaluate("window.__xss") is None
    page.wait_for_function("() => document.querySelector('#documents').innerText.includes('factory-notes-<u>')")
    assert "Ready: 2 documents" in page.inner_text("#index-status")
    assert page.locator("#documents u").count() == 0
