"""The chat page's formatting, free of gradio: answers, citations, notices, index status as HTML.

Every piece of document or user text goes through :func:`esc` before it reaches HTML; the
only tags in a message are the ones written here (``<mark>`` marks the answer).

    >>> highlight("Umerov led them.", 0, 0, 6)
    '<mark>Umerov</mark> led them.'
    >>> esc("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from qa.types import Answer, Citation


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
    """Where the passage sits in its document: ``line 23, characters 2,345–2,890``, or for a
    PDF ``page 3, characters 2,345–2,890`` (its lines are the converter's, not the file's)."""
    chars = f"characters {c.start:,}–{c.end:,}"
    if c.page:
        return f"page {c.page:,}, {chars}"
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


def documents_html(s: IndexState, pages_of: Callable[[str], int | None] | None = None) -> str:
    """The list of documents in the corpus (with page and passage counts) and of skipped files.

    >>> documents_html(IndexState(documents=(("a.pdf", 12),)), lambda src: 3)
    '<div class="qa-docs"><ul><li><span class="qa-doc">a.pdf</span> <span class="qa-meta">(3 pages, 12 passages)</span></li></ul></div>'
    """
    if not s.documents and not s.skipped:
        return '<div class="qa-docs qa-meta">The document list appears once the index is ready.</div>'
    pages_of = pages_of or (lambda src: None)

    def counts(src: str, n: int) -> str:
        pages = pages_of(src)
        return (f"{pages:,} page{'s' if pages != 1 else ''}, " if pages else "") + f"{n:,} passage{'s' if n != 1 else ''}"

    items = "".join(f'<li><span class="qa-doc">{esc(src)}</span> <span class="qa-meta">({counts(src, n)})</span></li>'
                    for src, n in s.documents)
    out = f'<div class="qa-docs"><ul>{items}</ul>'
    if s.skipped:
        skipped = "".join(f'<li><span class="qa-doc">{esc(src)}</span>: {esc(why)}</li>' for src, why in s.skipped)
        out += f'<div class="qa-label">Skipped</div><ul class="qa-skipped">{skipped}</ul>'
    return out + "</div>"
