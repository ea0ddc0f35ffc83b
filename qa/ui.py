"""The chat page's logic, free of gradio: answer formatting, the index watcher, the chat turn.

``app.py`` lays the page out with gradio and wires it to :class:`Chat`. Everything here is
plain Python so it can be tested without a browser (``tests/test_ui_format.py``).

Every piece of document or user text goes through :func:`esc` before it reaches HTML; the
only tags in a message are the ones written here (``<mark>`` marks the answer).

    >>> highlight("Umerov led them.", 0, 0, 6)
    '<mark>Umerov</mark> led them.'
    >>> esc("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.types import Answer, Citation

log = logging.getLogger("articleqa.ui")

History = list[tuple[str, str | None]]
Message = dict[str, str]  # {"role": "user" | "assistant", "content": html}

# ----------------------------------------------------------------------------- formatting


def esc(text: str) -> str:
    """``text`` escaped for HTML (quotes too), line breaks kept as ``<br>``."""
    return html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def highlight(passage: str, passage_start: int, answer_start: int | None, answer_end: int | None) -> str:
    """The passage as escaped HTML with the answer (document offsets) inside ``<mark>``.

    Offsets that don't fall inside the passage leave it unmarked rather than mark the wrong text.
    """
    if answer_start is None or answer_end is None:
        return esc(passage)
    a, b = answer_start - passage_start, answer_end - passage_start
    if not 0 <= a < b <= len(passage):
        return esc(passage)
    return f"{esc(passage[:a])}<mark>{esc(passage[a:b])}</mark>{esc(passage[b:])}"


def confidence_text(score: float) -> str:
    """``0.873`` → ``'87% (high)'``: a percentage and a word a person can read at a glance."""
    score = min(1.0, max(0.0, float(score)))
    word = "high" if score >= 0.8 else "medium" if score >= 0.5 else "low"
    return f"{round(score * 100)}% ({word})"


def position_text(c: Citation, line: int | None = None) -> str:
    """Where the passage sits in its document: ``line 23, characters 2,345–2,890``."""
    chars = f"characters {c.start:,}–{c.end:,}"
    return f"line {line:,}, {chars}" if line else chars


def citation_html(c: Citation, line: int | None = None, mark: bool = True) -> str:
    """One cited passage: source and position, then the passage (answer marked if ``mark``)."""
    body = highlight(c.text, c.start, c.answer_start, c.answer_end) if mark else esc(c.text)
    return (
        '<div class="qa-citation">'
        f'<div class="qa-source"><span class="qa-doc">{esc(c.source)}</span>'
        f' <span class="qa-pos">· {esc(position_text(c, line))}</span></div>'
        f'<blockquote class="qa-passage">{body}</blockquote>'
        "</div>"
    )


def abstention_text(n_documents: int) -> str:
    """The plain "not there" line: about "the article" for one document, else "the documents"."""
    return "The article doesn't say." if n_documents == 1 else "The documents don't say."


def answer_html(ans: Answer, n_documents: int = 1, line_of: Callable[[Citation], int | None] | None = None) -> str:
    """The assistant's reply: the answer with its cited passages, or a plain abstention."""
    line_of = line_of or (lambda c: None)
    parts = ['<div class="qa-reply">']
    resolved = ans.resolved_question.strip()
    if resolved and " ".join(resolved.split()) != " ".join(ans.question.split()):
        parts.append(f'<div class="qa-resolved">Understood as: “{esc(resolved)}”</div>')
    if ans.answer is None:
        parts.append(
            f'<div class="qa-abstain"><strong>{abstention_text(n_documents)}</strong> '
            "No passage answers this question, so there is nothing to quote.</div>"
        )
        parts.append(f'<div class="qa-meta">Confidence that it isn\'t there: {confidence_text(ans.score)}</div>')
        if ans.citations:
            c = ans.citations[0]
            parts.append('<div class="qa-closest"><div class="qa-label">Closest passage (not an answer)</div>'
                         f"{citation_html(c, line_of(c), mark=False)}</div>")
        parts.append("</div>")
        return "".join(parts)
    parts.append(f'<div class="qa-answer">{esc(ans.answer)}</div>')
    parts.append(f'<div class="qa-meta">Confidence: {confidence_text(ans.score)}</div>')
    first, *rest = ans.citations or [None]
    if first is not None:
        parts.append(citation_html(first, line_of(first)))
    if rest:
        more = "".join(citation_html(c, line_of(c)) for c in rest)
        noun = "passage says" if len(rest) == 1 else "passages say"
        parts.append(f'<details class="qa-more"><summary>{len(rest)} more {noun} the same</summary>{more}</details>')
    parts.append("</div>")
    return "".join(parts)


def user_html(question: str, limit: int = 600) -> str:
    """The person's question as text (long ones shortened for display)."""
    shown = question if len(question) <= limit else question[:limit] + f"… ({len(question):,} characters)"
    return f'<div class="qa-question">{esc(shown)}</div>'


def notice_html(text: str, kind: str = "info") -> str:
    """A short line from the app (bad input, an error, progress): never a traceback."""
    kind = kind if kind in ("info", "warning", "error", "progress") else "info"
    return f'<div class="qa-notice qa-{kind}">{esc(text)}</div>'


# --------------------------------------------------------------------------- index state


@dataclass(frozen=True)
class IndexState:
    """What the page shows about the index: building (with progress), ready, or failed."""

    phase: str = "starting"  # "starting" | "building" | "ready" | "error"
    stage: str = ""
    done: int = 0
    total: int = 0
    reason: str = ""  # why it is being built
    documents: tuple[tuple[str, int], ...] = ()  # (source, passages)
    skipped: tuple[tuple[str, str], ...] = ()  # (source, reason)
    summary: str = ""  # what the last build or load did
    error: str = ""
    warning: str = ""  # e.g. the reader model is missing
    version: int = 0  # bumped on every change, so pages can skip redrawing

    @property
    def ready(self) -> bool:
        return self.phase == "ready"


def progress_text(s: IndexState) -> str:
    """``'Building the index (no index yet): embedding passages 40/96 (42%)'``."""
    what = f"Building the index ({s.reason})" if s.reason else "Loading the index"
    if not s.stage:
        return f"{what}…"
    if s.total > 1:
        return f"{what}: {s.stage} {s.done:,}/{s.total:,} ({100 * s.done // s.total}%)"
    return f"{what}: {s.stage}…"


def status_html(s: IndexState) -> str:
    """The status panel: a progress bar while building, else a one-line summary."""
    if s.phase == "error":
        body = notice_html(s.error, "error")
    elif s.phase in ("starting", "building"):
        value = f' value="{s.done}" max="{s.total}"' if s.total > 1 else ""
        body = (f'<div class="qa-building">{esc(progress_text(s))}</div>'
                f'<progress class="qa-bar"{value}></progress>')
    else:
        n = len(s.documents)
        passages = sum(p for _, p in s.documents)
        body = f'<div class="qa-ready">Ready: {n} document{"s" if n != 1 else ""}, {passages:,} passages indexed.</div>'
        if s.summary:
            body += f'<div class="qa-meta">{esc(s.summary)}</div>'
    if s.warning:
        body += notice_html(s.warning, "warning")
    return f'<div class="qa-status qa-status-{esc(s.phase)}">{body}</div>'


def documents_html(s: IndexState) -> str:
    """The list of documents in the corpus (with passage counts) and of skipped files."""
    if not s.documents and not s.skipped:
        return '<div class="qa-docs qa-meta">The document list appears once the index is ready.</div>'
    items = "".join(f'<li><span class="qa-doc">{esc(src)}</span> <span class="qa-meta">({n} passages)</span></li>'
                    for src, n in s.documents)
    out = f'<div class="qa-docs"><ul>{items}</ul>'
    if s.skipped:
        skipped = "".join(f'<li><span class="qa-doc">{esc(src)}</span>: {esc(why)}</li>' for src, why in s.skipped)
        out += f'<div class="qa-label">Skipped</div><ul class="qa-skipped">{skipped}</ul>'
    return out + "</div>"


# -------------------------------------------------------------------------- index watcher


class IndexWatcher:
    """Builds or loads the index in a background thread and reports progress to the page.

    ``poll()`` (cheap, throttled) notices changed documents and starts a rebuild, so the
    page shows progress instead of a question hanging while ``ask()`` rebuilds.
    """

    def __init__(self, qa, recheck_seconds: float = 3.0, warm_up: bool = True) -> None:
        self.qa = qa
        self.recheck_seconds = recheck_seconds
        self.warm_up = warm_up
        self._state = IndexState()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._checked = 0.0
        self._failed_on: dict | None = None  # corpus signature when the last build failed
        self._lines: dict[str, tuple[tuple[int, int], list[int]]] = {}

    # -- state
    def state(self) -> IndexState:
        with self._lock:
            return self._state

    def _update(self, **changes) -> None:
        with self._lock:
            self._state = replace(self._state, version=self._state.version + 1, **changes)

    def _progress(self, stage: str, done: int, total: int) -> None:
        self._update(phase="building", stage=stage, done=done, total=total)

    # -- building
    def start(self, reason: str = "") -> None:
        """Load or build the index in the background unless that is already under way."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._state = replace(self._state, phase="building", stage="", done=0, total=0, reason=reason,
                                  error="", version=self._state.version + 1)
            self._thread = threading.Thread(target=self._run, name="index-watcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        from qa.index import EmptyCorpusError
        from qa.models import ModelNotInstalled

        try:
            if not self.state().reason:  # first start: say whether it builds or just loads
                status = self.qa.store.status()
                self._update(reason="" if status == "fresh" else status)
            index, report = self.qa.index(progress=self._progress)
            counts = Counter(p.source for p in index.passages)
            summary = report.summary().splitlines()[0] if report else "Loaded the existing index."
            self._update(phase="ready", stage="", documents=tuple((s, counts[s]) for s in index.sources),
                         skipped=tuple((x.source, x.reason) for x in index.skipped), summary=summary)
            self._checked = time.monotonic()
        except (EmptyCorpusError, FileNotFoundError, ModelNotInstalled) as exc:
            self._failed(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - the page must say something, not hang
            log.exception("index build failed")
            self._failed(f"The index could not be built ({type(exc).__name__}); see the server log.")
            return
        if self.warm_up:
            try:  # load the models now so the first question isn't slow
                self.qa.reader
                self.qa.resolver
                self._update(warning="")
            except ModelNotInstalled as exc:
                self._update(warning=str(exc))
            except Exception:  # noqa: BLE001
                log.exception("model warm-up failed")

    def _failed(self, message: str) -> None:
        self._failed_on = self._signature()
        self._checked = time.monotonic()
        self._update(phase="error", stage="", error=message)

    def _signature(self) -> dict | None:
        from qa.index import corpus_signature

        try:
            return corpus_signature(self.qa.settings)
        except OSError:
            return None

    def poll(self, force: bool = False) -> IndexState:
        """The current state, after a check (throttled unless ``force``) that the documents
        haven't changed since the index was built; if they have, a rebuild starts."""
        s = self.state()
        now = time.monotonic()
        if s.phase in ("ready", "error") and (force or now - self._checked >= self.recheck_seconds):
            self._checked = now
            if s.phase == "ready":
                try:
                    status = self.qa.store.status()
                except Exception:  # noqa: BLE001
                    log.exception("index status check failed")
                    status = "fresh"
                if status != "fresh":
                    self.start(reason=status)
            elif self._signature() != self._failed_on:  # after a failure, retry once the corpus changes
                self.start(reason="documents changed")
        return self.state()

    def wait(self, timeout: float) -> IndexState:
        """Wait up to ``timeout`` seconds for a build under way to finish; the state then."""
        t = self._thread
        if t is not None:
            t.join(timeout)
        return self.state()

    def clear_warning(self) -> None:
        if self.state().warning:
            self._update(warning="")

    # -- positions
    def line_of(self, c: Citation) -> int | None:
        """The 1-based line of the document where the passage starts (None if unknown)."""
        root = Path(self.qa.settings.docs_dir)
        path = root / c.source
        try:
            if not path.resolve().is_relative_to(root.resolve()):
                return None
            st = path.stat()
            key = (st.st_size, st.st_mtime_ns)
            cached = self._lines.get(c.source)
            if cached is None or cached[0] != key:
                from qa.documents import read_document

                doc = read_document(path, root, self.qa.settings.max_file_bytes)
                text = getattr(doc, "text", None)
                if text is None or text[c.start:c.end] != c.text:
                    return None
                starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
                if len(self._lines) > 256:
                    self._lines.clear()
                self._lines[c.source] = cached = (key, starts)
        except OSError:
            return None
        import bisect

        return bisect.bisect_right(cached[1], c.start)


# ----------------------------------------------------------------------------- chat turn


@dataclass
class Conversation:
    """One person's chat: the messages on screen and the (question, answer) turns for ask()."""

    messages: list[Message] = field(default_factory=list)
    history: History = field(default_factory=list)


class Chat:
    """One chat turn: check the question, wait (showing progress) for the index, ask, format.

    ``asker`` is :func:`qa.ask` (or a fake in tests); ``watcher`` tracks the index.
    """

    def __init__(self, asker: Callable[..., Answer], watcher: IndexWatcher, max_chars: int = 1000,
                 build_timeout: float = 1800.0, tick: float = 0.4) -> None:
        self.asker = asker
        self.watcher = watcher
        self.max_chars = max_chars
        self.build_timeout = build_timeout
        self.tick = tick

    def respond(self, question: str | None, conv: Conversation) -> Iterator[Conversation]:
        """Yield the conversation after each visible step: question, progress, then the reply."""
        from qa.pipeline import InvalidQuestion, check_question

        question = question or ""
        try:
            check_question(question, self.max_chars)
        except InvalidQuestion as exc:
            if question.strip():
                conv.messages.append({"role": "user", "content": user_html(question)})
            conv.messages.append({"role": "assistant", "content": notice_html(str(exc), "warning")})
            yield conv
            return
        conv.messages.append({"role": "user", "content": user_html(question)})
        slot = len(conv.messages)  # where the reply goes (by position: another turn may follow)
        conv.messages.append({"role": "assistant", "content": notice_html("Searching the documents…", "progress")})
        yield conv

        def show(content: str) -> Conversation:
            conv.messages[slot] = {"role": "assistant", "content": content}
            return conv

        state = self.watcher.poll(force=True)
        deadline = time.monotonic() + self.build_timeout
        while state.phase in ("starting", "building") and time.monotonic() < deadline:
            yield show(notice_html(progress_text(state) + " — your question will be answered as soon as "
                                   "it is ready.", "progress"))
            state = self.watcher.wait(self.tick)
        if state.phase != "ready":
            yield show(notice_html(state.error or "The index is taking too long to build; please try again "
                                   "in a few minutes.", "error"))
            return
        yield show(self._reply(question, conv.history))

    def _reply(self, question: str, history: History) -> str:
        """The reply's HTML (a friendly line instead of any exception); an answered or
        abstained turn is appended to ``history`` for the next follow-up."""
        from qa.models import ModelNotInstalled
        from qa.pipeline import InvalidQuestion

        try:
            ans = self.asker(question, history=list(history) or None)
        except InvalidQuestion as exc:
            return notice_html(str(exc), "warning")
        except ModelNotInstalled as exc:
            return notice_html(f"The app can't answer yet: {exc}", "error")
        except Exception:  # noqa: BLE001 - log it, never show a traceback
            log.exception("answering %r failed", question[:200])
            return notice_html("Sorry, something went wrong while answering. The problem has been logged; "
                               "please try again.", "error")
        self.watcher.clear_warning()
        history.append((ans.resolved_question or question, ans.answer))
        n_docs = len(self.watcher.state().documents) or 1
        return answer_html(ans, n_docs, self.watcher.line_of)


def answer_dict(ans: Answer) -> dict:
    """A JSON-friendly view of an answer, for the API endpoint."""
    return {
        "answer": ans.answer,
        "score": ans.score,
        "question": ans.question,
        "resolved_question": ans.resolved_question,
        "citations": [
            {"source": c.source, "start": c.start, "end": c.end, "text": c.text,
             "answer_start": c.answer_start, "answer_end": c.answer_end, "score": c.score}
            for c in ans.citations
        ],
    }
