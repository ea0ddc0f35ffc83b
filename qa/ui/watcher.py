"""The index watcher: loads or builds the index in the background and reports progress to the page."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

from qa.types import Citation
from qa.ui.format import IndexState

log = logging.getLogger("articleqa.ui")


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
        self._retry = False  # the last failure was the database: try again at every poll
        self._lines: dict[str, tuple[tuple[int, int], list[int]]] = {}
        self._pages: dict[str, tuple[tuple[int, int], int | None]] = {}

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
        from qa.index import DatabaseUnavailable, EmptyCorpusError
        from qa.models import ModelNotInstalled

        try:
            if not self.state().reason:  # first start: say whether it builds or just loads
                status = self.qa.status()
                self._update(reason="" if status == "fresh" else status)
            index, report = self.qa.index(progress=self._progress)
            summary = report.summary().splitlines()[0] if report else "Loaded the existing index."
            self._update(phase="ready", stage="",
                         documents=tuple((s, index.documents[s].passages) for s in index.sources),
                         skipped=tuple((x.source, x.reason) for x in index.skipped), summary=summary)
            self._checked = time.monotonic()
            self._retry = False
        except DatabaseUnavailable as exc:  # said on the page, and tried again at every poll
            self._failed(str(exc))
            self._retry = True
            return
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
                from qa.index import DatabaseUnavailable

                try:
                    status = self.qa.status()
                except DatabaseUnavailable as exc:  # the page says so until the database is back
                    self._failed(str(exc))
                    self._retry = True
                    return self.state()
                except Exception:  # noqa: BLE001
                    log.exception("index status check failed")
                    status = "fresh"
                if status != "fresh":
                    self.start(reason=status)
            elif self._retry:  # the database was unreachable: try again
                self.start(reason="connecting to the database")
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
                from qa.ingest.files import read_document

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

    def pages_of(self, source: str) -> int | None:
        """The number of pages of a PDF document (None for other formats), for the documents panel."""
        if not source.lower().endswith(".pdf"):
            return None
        from qa.ingest.files import read_document
        from qa.ingest.library import corpus_path

        root = Path(self.qa.settings.docs_dir)
        try:
            path = corpus_path(root, source)
            st = path.stat()
        except OSError:
            return None
        key = (st.st_size, st.st_mtime_ns)
        cached = self._pages.get(source)
        if cached is None or cached[0] != key:
            doc = read_document(path, root, self.qa.settings.max_file_bytes)  # the conversion is cached
            if len(self._pages) > 1024:
                self._pages.clear()
            self._pages[source] = cached = (key, len(getattr(doc, "pages", ())) or None)
        return cached[1]
