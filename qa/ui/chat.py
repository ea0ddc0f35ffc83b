"""One chat turn: check the question, wait for the index (showing progress), ask, format the reply."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from qa.types import Answer
from qa.ui.format import answer_html, notice_html, progress_text, user_html
from qa.ui.watcher import IndexWatcher

log = logging.getLogger("articleqa.ui")

History = list[tuple[str, str | None]]
Message = dict[str, str]  # {"role": "user" | "assistant", "content": html}


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
        from qa.index import DatabaseUnavailable
        from qa.models import ModelNotInstalled
        from qa.pipeline import InvalidQuestion

        try:
            ans = self.asker(question, history=list(history) or None)
        except InvalidQuestion as exc:
            return notice_html(str(exc), "warning")
        except DatabaseUnavailable as exc:  # says which database and what to check; answers again once it is back
            return notice_html(str(exc), "error")
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
             "answer_start": c.answer_start, "answer_end": c.answer_end, "score": c.score, "page": c.page}
            for c in ans.citations
        ],
    }
