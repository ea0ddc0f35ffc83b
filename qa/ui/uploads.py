"""Adding and removing documents from the chat page (no gradio here; ``app.py`` wires it).

    >>> up = Uploads(qa, watcher, allowed=True)                  # doctest: +SKIP
    >>> up.add(["/tmp/gradio/3f2a/report.pdf"])                   # doctest: +SKIP
    ['Added report.pdf (4 pages).']

Each file is checked and written into the corpus by :func:`qa.ingest.library.add_file` (a
refused file is named with the reason, and nothing else changes); the watcher then updates
the index, and the page shows its progress. The uploaded temporary copy is deleted at once:
Gradio keeps uploads in its cache folder, and nothing there is served back
(:class:`FileGuard`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from qa.ui.format import IndexState, esc, notice_html, progress_text

log = logging.getLogger("articleqa.ui")

# Gradio routes that serve files from disk; this app shows none, so they answer 404
_FILE_ROUTES = re.compile(r"/(file=|file/|proxy=)|/playlist-file$")


class FileGuard:
    """ASGI middleware: files are never served back (uploads included), and uploads are refused
    when they are off (the page listens beyond localhost without a login)."""

    def __init__(self, app, uploads_allowed: bool = True) -> None:
        self.app = app
        self.uploads_allowed = uploads_allowed

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if _FILE_ROUTES.search(path):
                return await _plain(send, 404, "Not found")
            if not self.uploads_allowed and path.rstrip("/").endswith("/upload"):
                return await _plain(send, 403, "Uploads are off on this server (no login is configured)")
        await self.app(scope, receive, send)


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Uploads:
    """The page's "Add documents" and "Remove" controls.

    ``allowed`` is False when the page listens beyond localhost without a login: then both
    refuse, and ``why_not`` says so.
    """

    def __init__(self, qa, watcher, allowed: bool = True, why_not: str = "") -> None:
        self.qa = qa
        self.watcher = watcher
        self.allowed = allowed
        self.why_not = why_not or "Adding and removing documents is off on this server."

    def add(self, paths: list[str] | None) -> list[tuple[str, str]]:
        """Check and add each uploaded file; (kind, line) per file: "info" added, "warning" refused."""
        from qa.ingest.library import RefusedFile, add_file

        if not self.allowed:
            self._discard(paths)
            return [("warning", self.why_not)]
        s = self.qa.settings
        lines = []
        for p in paths or []:
            name = Path(p).name
            try:
                a = add_file(p, s.docs_dir, s.max_file_bytes, name=name)
            except RefusedFile as exc:
                lines.append(("warning", f"Not added: {exc}"))
            except Exception:  # noqa: BLE001 - log it, never show a traceback
                log.exception("adding %r failed", name)
                lines.append(("error", f"Not added: {name}: something went wrong; see the server log."))
            else:
                pages = f" ({a.pages} page{'s' if a.pages != 1 else ''})" if a.pages else ""
                lines.append(("info", f"{'Replaced' if a.replaced else 'Added'} {a.source}{pages}."))
        self._discard(paths)
        return lines

    def remove(self, source: str | None) -> tuple[str, str]:
        """Remove one document; (kind, line)."""
        from qa.ingest.library import RefusedFile, remove_file

        if not self.allowed:
            return "warning", self.why_not
        if not source:
            return "warning", "Choose a document to remove."
        try:
            remove_file(self.qa.settings.docs_dir, source)
        except RefusedFile as exc:
            return "warning", f"Not removed: {exc}"
        return "info", f"Removed {source}."

    def reindex(self, lines: list[tuple[str, str]], timeout: float = 1800.0, tick: float = 0.4) -> Iterator[str]:
        """After a change, the notices as HTML while the index catches up, then with its outcome."""
        import time

        if not any(kind == "info" for kind, _ in lines):
            yield _lines_html(lines)
            return
        state = self.watcher.poll(force=True)  # notices the change and starts the update
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if state.phase in ("starting", "building"):
                yield _lines_html(lines, notice_html(progress_text(state), "progress"))
                state = self.watcher.wait(tick)
                continue
            state = self.watcher.poll(force=True)  # a change made during that build starts another
            if state.phase in ("starting", "building"):
                continue
            break
        yield _lines_html(lines, _outcome(state))

    @staticmethod
    def _discard(paths: list[str] | None) -> None:
        """Delete Gradio's temporary copies of the uploads: the corpus now holds what it needs."""
        for p in paths or []:
            try:
                Path(p).unlink(missing_ok=True)
            except OSError:
                log.warning("could not delete the uploaded temporary file %s", p)


def _lines_html(lines: list[tuple[str, str]], extra: str = "") -> str:
    return "".join(notice_html(text, kind) for kind, text in lines) + extra


def _outcome(state: IndexState) -> str:
    if state.phase == "error":
        return notice_html(state.error, "error")
    if state.phase != "ready":
        return notice_html("The index is still being updated; the documents panel shows when it is ready.", "progress")
    return f'<div class="qa-meta">{esc(state.summary or "The index is up to date.")}</div>'
