"""The chat page's pure logic (qa.ui) and app.py's layout, without a browser or models."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from qa.config import Settings
from qa.pipeline import InvalidQuestion
from qa.types import Answer, Citation
from qa.ui.chat import Chat, Conversation, answer_dict
from qa.ui.format import (
    IndexState,
    abstention_text,
    answer_html,
    citation_html,
    confidence_text,
    documents_html,
    esc,
    highlight,
    notice_html,
    progress_text,
    status_html,
    user_html,
)
from qa.ui.watcher import IndexWatcher

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def cite(text="Umerov led the team.", start=100, a=(100, 106), source="a.txt") -> Citation:
    return Citation(source, start, start + len(text), text, a[0] if a else None, a[1] if a else None, 0.9)


# ------------------------------------------------------------------------------ escaping


def test_esc_escapes_markup_and_quotes_and_keeps_line_breaks():
    assert esc(XSS) == ("&lt;script&gt;window.__xss=1&lt;/script&gt;&lt;img src=x "
                        "onerror=&quot;window.__xss=2&quot;&gt;")
    assert esc("a\nb\r\nc") == "a<br>b<br>c"
    assert esc("it's & <b>") == "it&#x27;s &amp; &lt;b&gt;"


def test_highlight_marks_exactly_the_answer_with_document_offsets():
    assert highlight("Umerov led the team.", 100, 100, 106) == "<mark>Umerov</mark> led the team."
    assert highlight("He met Putin.", 50, 57, 62) == "He met <mark>Putin</mark>."


def test_highlight_escapes_inside_and_around_the_mark():
    text = "<b>x</b> said <i>Ann</i> & co"
    start = text.index("<i>Ann</i>")
    out = highlight(text, 0, start, start + len("<i>Ann</i>"))
    assert out == "&lt;b&gt;x&lt;/b&gt; said <mark>&lt;i&gt;Ann&lt;/i&gt;</mark> &amp; co"


@pytest.mark.parametrize("a, b", [(None, None), (90, 95), (100, 100), (110, 200), (106, 100)])
def test_highlight_leaves_unmarked_when_offsets_are_missing_or_outside(a, b):
    assert "<mark>" not in highlight("Umerov led the team.", 100, a, b)


# ------------------------------------------------------------------------------- replies


def test_answer_shows_answer_passage_mark_source_position_and_confidence():
    ans = Answer("Umerov", 0.87, [cite()], "Who led them?", "Who led them?")
    out = answer_html(ans, line_of=lambda c: 23)
    assert '<div class="qa-answer">Umerov</div>' in out
    assert "<mark>Umerov</mark> led the team." in out
    assert "a.txt" in out and "line 23, characters 100–120" in out
    assert "Confidence: 87% (high)" in out
    assert "<details" not in out and "Understood as" not in out


def test_several_citations_are_collapsed_after_the_first():
    ans = Answer("Umerov", 0.6, [cite(), cite(start=300, a=(300, 306), source="b.txt"),
                                 cite(start=500, a=(500, 506), source="c.txt")])
    out = answer_html(ans)
    first, rest = out.split("<details", 1)
    assert "a.txt" in first and "b.txt" not in first
    assert "<summary>2 more passages say the same</summary>" in rest
    assert "b.txt" in rest and "c.txt" in rest and rest.count("<mark>") == 2


def test_abstention_says_so_plainly_and_offers_the_closest_passage_unmarked():
    closest = cite(a=None)
    ans = Answer(None, 0.93, [closest], "What is the capital of Australia?", "What is the capital of Australia?",
                 candidate="Umerov")
    out = answer_html(ans, n_documents=1)
    assert "The article doesn't say." in out
    assert "Closest passage (not an answer)" in out and "Umerov led the team." in out
    assert "<mark>" not in out and 'class="qa-answer"' not in out
    assert "Confidence that it isn't there: 93% (high)" in out
    assert "The documents don't say." in answer_html(ans, n_documents=3)
    assert "Closest passage" not in answer_html(Answer(None, 1.0, []))


def test_abstention_never_marks_even_if_the_citation_has_offsets():
    ans = Answer(None, 0.7, [cite()], "q", "q")
    assert "<mark>" not in answer_html(ans)


def test_follow_up_shows_how_it_was_understood():
    ans = Answer("Moscow", 0.8, [cite("to Moscow this week", 10, (13, 19))], "Where?", "Where did Witkoff plan to meet?")
    assert "Understood as: “Where did Witkoff plan to meet?”" in answer_html(ans)


def test_every_piece_of_document_and_user_text_is_escaped():
    c = Citation(f"evil{XSS}.txt", 0, len(XSS) + 5, XSS + " Bob.", len(XSS) + 1, len(XSS) + 4)
    ans = Answer(XSS, 0.9, [c], XSS, "Who <b>?")
    for out in (answer_html(ans), answer_html(Answer(None, 0.9, [c], XSS, XSS)), user_html(XSS),
                notice_html(XSS), citation_html(c)):
        assert "<script" not in out and "<img" not in out and "<b>" not in out
        assert "&lt;script&gt;" in out or "&lt;b&gt;" in out


def test_user_question_is_text_and_long_ones_are_shortened():
    assert user_html("a <b>bold</b>\nquestion") == '<div class="qa-question">a &lt;b&gt;bold&lt;/b&gt;<br>question</div>'
    out = user_html("x" * 5000)
    assert len(out) < 800 and "5,000 characters" in out


def test_confidence_text():
    assert confidence_text(0.873) == "87% (high)"
    assert confidence_text(0.5) == "50% (medium)"
    assert confidence_text(0.1) == "10% (low)"
    assert confidence_text(1.7) == "100% (high)"


def test_abstention_text():
    assert abstention_text(1) == "The article doesn't say."
    assert abstention_text(2) == "The documents don't say."


def test_answer_dict_is_json_friendly():
    import json

    d = answer_dict(Answer("Umerov", 0.87, [cite()], "q", "q"))
    assert json.loads(json.dumps(d))["citations"][0]["answer_start"] == 100


# --------------------------------------------------------------------------- index panel


def test_status_shows_progress_while_building_and_a_summary_when_ready():
    s = IndexState(phase="building", stage="embedding passages", done=40, total=96, reason="documents changed")
    assert progress_text(s) == "Building the index (documents changed): embedding passages 40/96 (41%)"
    out = status_html(s)
    assert '<progress class="qa-bar" value="40" max="96">' in out
    assert progress_text(IndexState(phase="building")) == "Loading the index…"  # a fresh index on disk
    ready = IndexState(phase="ready", documents=(("a.txt", 3), ("b.md", 4)), summary="Built the index.")
    assert "Ready: 2 documents, 7 passages indexed." in status_html(ready)
    assert "qa-error" in status_html(IndexState(phase="error", error="No document"))


def test_documents_list_is_escaped_and_shows_skipped_files():
    s = IndexState(phase="ready", documents=(("<b>x</b>.txt", 2),), skipped=(("img.txt", "binary file, not text"),))
    out = documents_html(s)
    assert "&lt;b&gt;x&lt;/b&gt;.txt" in out and "<b>" not in out
    assert "Skipped" in out and "binary file, not text" in out


# ------------------------------------------------------------------------------ watcher


class FakeStore:
    def __init__(self):
        self.state = "fresh"

    def status(self):
        return self.state


class FakeQA:
    """Just enough of QA for the watcher: index(progress) with a controllable delay."""

    def __init__(self, docs_dir: Path, delay: float = 0.0, fail: Exception | None = None):
        self.settings = Settings(docs_dir=docs_dir, index_dir=docs_dir / "index")
        self.store = FakeStore()
        self.delay, self.fail, self.builds = delay, fail, 0
        self.gate = threading.Event()
        self.gate.set()
        self.reader = self.resolver = object()

    def status(self):
        return self.store.state

    def index(self, progress=None):
        self.builds += 1
        progress("embedding passages", 1, 4)
        self.gate.wait(10)
        time.sleep(self.delay)
        if self.fail:
            raise self.fail
        from qa.index import IndexSummary, StoredDocument

        index = IndexSummary("local", "index", {"a.txt": StoredDocument("a.txt", "h1", 2),
                                                "b.md": StoredDocument("b.md", "h2", 1)}, [])
        report = SimpleNamespace(summary=lambda: "Built the index (no index yet): 2 document(s)")
        self.store.state = "fresh"
        return index, report


def test_watcher_reports_progress_then_the_document_list(tmp_path):
    qa = FakeQA(tmp_path)
    qa.gate.clear()
    w = IndexWatcher(qa)
    w.start()
    deadline = time.monotonic() + 10
    while w.state().stage != "embedding passages" and time.monotonic() < deadline:
        time.sleep(0.01)
    s = w.state()
    assert s.phase == "building" and (s.done, s.total) == (1, 4)
    qa.gate.set()
    s = w.wait(10)
    assert s.ready and s.documents == (("a.txt", 2), ("b.md", 1))
    assert s.summary.startswith("Built the index")


def test_watcher_rebuilds_when_documents_change(tmp_path):
    qa = FakeQA(tmp_path)
    w = IndexWatcher(qa, recheck_seconds=1000)
    w.start()
    w.wait(10)
    assert w.poll().ready and qa.builds == 1  # throttled, and fresh anyway
    qa.store.state = "documents changed"
    assert w.poll().ready and qa.builds == 1  # throttled: not checked yet
    s = w.poll(force=True)
    assert s.phase == "building" and s.reason == "documents changed"
    assert w.wait(10).ready and qa.builds == 2


def test_watcher_reports_a_failed_build_and_retries_when_the_corpus_changes(tmp_path):
    from qa.index import EmptyCorpusError

    qa = FakeQA(tmp_path, fail=EmptyCorpusError("The corpus folder holds no .txt or .md document."))
    w = IndexWatcher(qa, recheck_seconds=0)
    w.start()
    s = w.wait(10)
    assert s.phase == "error" and "holds no .txt" in s.error
    assert w.poll().phase == "error" and qa.builds == 1  # nothing changed: no retry loop
    qa.fail = None
    (tmp_path / "new.txt").write_text("Now there is a document.")
    assert w.poll().phase == "building"
    assert w.wait(10).ready and qa.builds == 2


def test_watcher_shows_an_unreachable_database_and_recovers_when_it_is_back(tmp_path):
    from qa.index import DatabaseUnavailable

    qa = FakeQA(tmp_path, fail=DatabaseUnavailable("Cannot use the index database 'qa' on db:5432: refused."))
    w = IndexWatcher(qa, recheck_seconds=0)
    w.start()
    s = w.wait(10)
    assert s.phase == "error" and "database 'qa' on db:5432" in s.error and "Traceback" not in status_html(s)
    qa.fail = None  # the database is back; nothing in the corpus changed
    assert w.poll().phase == "building"
    assert w.wait(10).ready and qa.builds == 2
    qa.store.state = "unreachable"
    qa.status = lambda: (_ for _ in ()).throw(DatabaseUnavailable("Cannot use the index database 'qa': down."))
    assert w.poll().phase == "error" and "down" in w.state().error, "a ready page notices the database is gone"


def test_line_of_counts_lines_and_ignores_stale_offsets(tmp_path):
    (tmp_path / "a.txt").write_text("one\ntwo\nthree Umerov\n")
    w = IndexWatcher(FakeQA(tmp_path))
    assert w.line_of(Citation("a.txt", 8, 13, "three")) == 3
    assert w.line_of(Citation("a.txt", 0, 3, "one")) == 1
    (tmp_path / "a.txt").write_text("two\none\n")  # changed since the index was built
    assert w.line_of(Citation("a.txt", 0, 3, "one")) is None
    assert w.line_of(Citation("missing.txt", 0, 3, "one")) is None
    assert w.line_of(Citation("../escape.txt", 0, 3, "one")) is None


# --------------------------------------------------------------------------------- chat


class ReadyWatcher:
    """A watcher whose index is ready (or becomes ready after ``building`` polls)."""

    def __init__(self, building: int = 0, error: str = ""):
        self.building, self.error, self.polls = building, error, 0

    def _s(self):
        if self.error:
            return IndexState(phase="error", error=self.error)
        if self.building > 0:
            return IndexState(phase="building", stage="embedding passages", done=1, total=2, reason="no index yet")
        return IndexState(phase="ready", documents=(("a.txt", 3),))

    def poll(self, force=False):
        self.polls += 1
        return self._s()

    def wait(self, timeout):
        self.building -= 1
        return self._s()

    def state(self):
        return self._s()

    def clear_warning(self):
        pass

    def line_of(self, c):
        return 7


def run_turn(chat: Chat, question, conv=None) -> tuple[Conversation, list[list[dict]]]:
    conv = conv or Conversation()
    steps = [list(c.messages) for c in chat.respond(question, conv)]
    return conv, steps


def test_chat_turn_shows_question_then_cited_answer_and_records_history():
    calls = []

    def asker(q, history=None):
        calls.append((q, history))
        return Answer("Umerov", 0.9, [cite()], q, q)

    conv, steps = run_turn(Chat(asker, ReadyWatcher()), "Who led <them>?")
    assert steps[0][-1]["content"].startswith('<div class="qa-notice qa-progress">Searching')
    user, bot = conv.messages
    assert user == {"role": "user", "content": '<div class="qa-question">Who led &lt;them&gt;?</div>'}
    assert "<mark>Umerov</mark>" in bot["content"] and "line 7" in bot["content"]
    assert calls == [("Who led <them>?", None)] and conv.history == [("Who led <them>?", "Umerov")]


def test_follow_up_passes_the_history_and_keeps_the_resolved_question():
    def asker(q, history=None):
        if history:
            return Answer("Moscow", 0.8, [cite()], q, "Where did Witkoff plan to meet?")
        return Answer("Putin", 0.8, [cite()], q, q)

    chat = Chat(asker, ReadyWatcher())
    conv, _ = run_turn(chat, "Who did Witkoff plan to meet?")
    conv, _ = run_turn(chat, "Where?", conv)
    assert conv.history == [("Who did Witkoff plan to meet?", "Putin"), ("Where did Witkoff plan to meet?", "Moscow")]
    assert len(conv.messages) == 4 and "Understood as" in conv.messages[-1]["content"]


@pytest.mark.parametrize("question, text", [("", "empty"), ("   ", "empty"), (None, "empty"), ("x" * 1001, "too long")])
def test_bad_input_gets_a_friendly_line_and_asks_nothing(question, text):
    asked = []
    conv, steps = run_turn(Chat(lambda q, history=None: asked.append(q), ReadyWatcher(), max_chars=1000), question)
    assert len(steps) == 1 and not asked and not conv.history
    assert "qa-warning" in conv.messages[-1]["content"] and text in conv.messages[-1]["content"]
    assert [m["role"] for m in conv.messages] == (["user", "assistant"] if (question or "").strip() else ["assistant"])


def test_errors_become_a_short_apology_never_a_traceback(caplog):
    def asker(q, history=None):
        raise RuntimeError("secret internal detail")

    conv, _ = run_turn(Chat(asker, ReadyWatcher()), "Who?")
    reply = conv.messages[-1]["content"]
    assert "Sorry, something went wrong" in reply
    assert "Traceback" not in reply and "secret internal detail" not in reply and "RuntimeError" not in reply
    assert "secret internal detail" in caplog.text  # logged for whoever runs the server
    assert conv.history == []


def test_invalid_question_from_ask_is_shown_as_its_message():
    def asker(q, history=None):
        raise InvalidQuestion("The question is empty: type a question about the documents.")

    conv, _ = run_turn(Chat(asker, ReadyWatcher()), "\u200b")
    assert "The question is empty" in conv.messages[-1]["content"]


def test_chat_shows_index_progress_instead_of_hanging():
    watcher = ReadyWatcher(building=2)
    conv, steps = run_turn(Chat(lambda q, history=None: Answer(None, 0.9, [cite(a=None)], q, q), watcher, tick=0), "Who?")
    progress = [s[-1]["content"] for s in steps if "Building the index" in s[-1]["content"]]
    assert progress and "embedding passages 1/2 (50%)" in progress[0]
    assert "The article doesn't say." in conv.messages[-1]["content"]


def test_chat_reports_an_index_error():
    conv, _ = run_turn(Chat(lambda q, history=None: None, ReadyWatcher(error="No document in docs")), "Who?")
    assert conv.messages[-1]["content"] == '<div class="qa-notice qa-error">No document in docs</div>'


# ------------------------------------------------------------------------------ app.py


def test_import_qa_does_not_import_gradio():
    code = "import sys, qa, qa.ui; from qa import ask; assert 'gradio' not in sys.modules, 'gradio imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_app_renders_escaped_html_safely_and_exposes_only_the_ask_api(tmp_path):
    pytest.importorskip("gradio")
    import app

    demo = app.build_app(Chat(lambda q, history=None: None, IndexWatcher(FakeQA(tmp_path))))
    config = demo.get_config_file()
    chatbot = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "chat")
    props = chatbot["props"]
    # our HTML is shown as HTML (no Markdown pass over user text), and Gradio still sanitizes it
    assert props["render_markdown"] is False and props["sanitize_html"] is True
    assert props["latex_delimiters"] == [] and props["allow_tags"] is False
    public = [d["api_name"] for d in config["dependencies"] if d.get("api_visibility", "public") == "public"]
    assert public == ["ask"]
