"""articleqa's chat page (Gradio 6): cited, highlighted answers from the documents.

    python app.py                  # http://127.0.0.1:7860 (port: $GRADIO_SERVER_PORT)
    python app.py --host 0.0.0.0   # reachable from other machines: read the README first

The corpus and index folders come from ``QA_DOCS_DIR`` / ``QA_INDEX_DIR`` as for ``qa``; with
``QA_DATABASE_URL`` (or ``--database-url``) the index is in that PostgreSQL database instead, so
any number of these processes can serve one corpus.
The page logic lives in :mod:`qa.ui` (no gradio there); this file lays the page out.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterator

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from an offline tool

import gradio as gr  # noqa: E402

from qa.ui import Chat, Conversation, IndexWatcher, answer_dict, documents_html, status_html  # noqa: E402
from qa.ui.uploads import FileGuard, Uploads  # noqa: E402

# Gradio's cache of uploads is emptied this often (seconds; files older than that go). Each
# upload handler deletes its files at once; this catches uploads that never reached one.
UPLOAD_CACHE_SECONDS = int(os.environ.get("QA_UPLOAD_CACHE_SECONDS") or 600)
UPLOAD_TYPES = [".pdf", ".html", ".htm", ".docx", ".txt", ".md"]

EXAMPLES = [
    "Who led the Ukrainian officials in Florida?",
    "Who did Witkoff plan to meet?",
    "Where did Zelenskyy meet Macron?",
    "What is the recipe for banana bread?",  # not in the article: shows how the page says so
]
# Questions answered at once. The reader and encoder already use both cores for one question,
# so more parallel work only slows each answer; 2 lets a short question overlap a long one.
# Measured figures are in the README (UI section).
CONCURRENCY = 2

CSS = """
.qa-answer { font-size: 1.2em; font-weight: 600; margin-bottom: .2em; }
.qa-meta, .qa-source, .qa-resolved { color: var(--body-text-color-subdued); font-size: .9em; }
.qa-doc { font-family: var(--font-mono); }
.qa-passage { border-left: 3px solid var(--color-accent); margin: .3em 0 .6em; padding: .2em .8em; }
.qa-reply mark { background: #fde047; color: #111; padding: 0 .15em; border-radius: 3px; }
.qa-closest .qa-label, .qa-docs .qa-label { font-style: italic; margin-top: .4em; }
.qa-closest .qa-passage { border-left-color: var(--border-color-primary); }
.qa-question { white-space: pre-wrap; }
.qa-notice.qa-warning, .qa-notice.qa-error { color: var(--error-text-color); }
.qa-notice.qa-progress { font-style: italic; }
.qa-bar { width: 100%; }
.qa-docs ul { margin: 0; padding-left: 1.1em; }
#index-status [data-testid="status-tracker"], #documents [data-testid="status-tracker"],
#upload-status [data-testid="status-tracker"] { display: none !important; }
"""


def build_app(chat: Chat, uploads: Uploads | None = None) -> gr.Blocks:
    """The page: chat with examples on the left; index status, the documents and (when
    ``uploads`` allows) adding and removing documents on the right."""
    from qa.index import DatabaseUnavailable
    from qa.models import ModelNotInstalled
    from qa.pipeline import InvalidQuestion

    watcher = chat.watcher
    uploads = uploads or Uploads(chat.watcher.qa, chat.watcher, allowed=False)
    with gr.Blocks(title="articleqa", analytics_enabled=False,
                   delete_cache=(UPLOAD_CACHE_SECONDS, UPLOAD_CACHE_SECONDS)) as demo:
        conv = gr.State(Conversation())
        shown = gr.State(-1)  # version of the index state this page shows
        gr.Markdown("## articleqa\nAsk about the documents. Every answer is quoted from them, "
                    "with the passage it comes from and the answer highlighted.")
        with gr.Row():
            with gr.Column(scale=3):
                # messages are HTML built by qa.ui with every text escaped: shown as HTML, never
                # as Markdown (so user text can't format itself), and still sanitized by Gradio
                chatbot = gr.Chatbot(
                    elem_id="chat", label="Conversation", height=520, render_markdown=False,
                    sanitize_html=True, allow_tags=False, latex_delimiters=[], buttons=[],
                    feedback_options=None, group_consecutive_messages=False,
                    placeholder="Ask a question, or click an example below.",
                )
                with gr.Row():
                    box = gr.Textbox(elem_id="question", show_label=False, scale=5, autofocus=True,
                                     placeholder="Ask a question about the documents…", submit_btn=False)
                    send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
                gr.Markdown("**Examples**")
                with gr.Row(elem_id="examples"):
                    examples = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
            with gr.Column(scale=1):
                gr.Markdown("**Index**")
                status = gr.HTML(elem_id="index-status")
                gr.Markdown("**Documents**")
                docs = gr.HTML(elem_id="documents")
                if uploads.allowed:
                    upload = gr.File(elem_id="upload", label="Add documents (PDF, HTML, Word, text, Markdown)",
                                     file_count="multiple", file_types=UPLOAD_TYPES, type="filepath")
                    with gr.Row():
                        doomed = gr.Dropdown(choices=[], value=None, label="Remove a document", elem_id="remove-doc",
                                             scale=3)
                        remove = gr.Button("Remove", elem_id="remove", size="sm", variant="stop", scale=1)
                else:
                    gr.HTML(f'<div class="qa-meta">{uploads.why_not}</div>', elem_id="uploads-off")
                    doomed = gr.State(None)
                upload_status = gr.HTML(elem_id="upload-status")
        timer = gr.Timer(2.0)  # cheap: the state is in memory, and unchanged states aren't resent

        def respond(question: str, state: Conversation) -> Iterator[tuple]:
            """One chat turn: clear the box, then show each step of the reply."""
            for c in chat.respond(question, state):
                yield "", c.messages, c

        def refresh(seen: int) -> tuple:
            """Redraw the index status and document list if they changed since version ``seen``."""
            s = watcher.poll()
            if s.version == seen:
                return gr.skip(), gr.skip(), gr.skip(), seen
            choices = gr.Dropdown(choices=[src for src, *_ in s.documents], value=None) if uploads.allowed else None
            return status_html(s), documents_html(s, watcher.pages_of), choices, s.version

        def add_files(files: list[str] | None) -> Iterator[tuple]:
            """Check, write and index the uploaded files; the control is cleared (nothing is served back)."""
            lines = uploads.add(files)
            for html in uploads.reindex(lines):
                yield None, html

        def remove_document(source: str | None) -> Iterator[str]:
            yield from uploads.reindex([uploads.remove(source)])

        turn = dict(fn=respond, outputs=[box, chatbot, conv], show_progress="minimal",
                    concurrency_id="ask", api_visibility="private")
        box.submit(inputs=[box, conv], **turn)
        send.click(inputs=[box, conv], **turn)
        for b in examples:
            b.click(inputs=[b, conv], **turn)
        chatbot.clear(Conversation, outputs=conv, api_visibility="private")  # the bin icon: start afresh
        poll = dict(fn=refresh, inputs=shown, outputs=[status, docs, doomed, shown], queue=False,
                    show_progress="hidden", api_visibility="private")
        if uploads.allowed:  # one change of the corpus at a time; questions go on meanwhile
            upload.upload(add_files, inputs=upload, outputs=[upload, upload_status], concurrency_id="docs",
                          concurrency_limit=1, show_progress="hidden", api_visibility="private")
            remove.click(remove_document, inputs=doomed, outputs=upload_status, concurrency_id="docs",
                         concurrency_limit=1, show_progress="hidden", api_visibility="private")
        demo.load(**poll)
        timer.tick(**poll)

        def api_ask(question: str, history: list[list[str | None]] | None = None) -> dict:
            """Answer a question from the documents: answer (None: they don't say), score, citations.
            ``history`` holds the earlier [question, answer] turns, oldest first, for follow-ups."""
            try:
                ans = chat.asker(question, history=[(q, a) for q, a in history] if history else None)
            except (InvalidQuestion, ModelNotInstalled, DatabaseUnavailable) as exc:
                raise gr.Error(str(exc), print_exception=False) from None
            return answer_dict(ans)

        gr.api(api_ask, api_name="ask", concurrency_id="ask")
    return demo


def main(argv: list[str] | None = None) -> None:
    """Parse the options, start loading the index in the background and serve the page."""
    p = argparse.ArgumentParser(description="articleqa chat page")
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
                   help="interface to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT") or 7860))
    p.add_argument("--concurrency", type=int, default=int(os.environ.get("QA_UI_CONCURRENCY") or CONCURRENCY),
                   help=f"questions answered at once (default {CONCURRENCY})")
    p.add_argument("--database-url", help="keep the index in this PostgreSQL database (default: $QA_DATABASE_URL)")
    args = p.parse_args(argv)
    if args.database_url is not None:  # the page, ask() and the watcher all read it from the environment
        os.environ["QA_DATABASE_URL"] = args.database_url
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from qa.pipeline import ask, default_qa

    from starlette.middleware import Middleware

    from qa.config import ConfigError
    from qa.ui.auth import Users

    try:
        users = Users.from_env()  # logins from $QA_USERS_FILE, if set
    except ConfigError as exc:
        raise SystemExit(f"app.py: error: {exc}") from None
    local = args.host in ("127.0.0.1", "localhost", "::1")
    # upload and removal change what everyone is answered from: beyond localhost, only with a login
    allowed = local or users is not None
    why_not = (f"Adding and removing documents is off: this page listens on {args.host} without a login. "
               "To turn it on, give the users in a file named by QA_USERS_FILE (see the README).")
    qa = default_qa()
    watcher = IndexWatcher(qa)
    watcher.start()
    demo = build_app(Chat(ask, watcher, qa.settings.max_question_chars), Uploads(qa, watcher, allowed, why_not))
    demo.queue(default_concurrency_limit=args.concurrency, max_size=64)
    if not local and users is None:
        logging.warning("Listening on %s without a login: anyone who can reach port %d can ask questions; "
                        "adding and removing documents is off (set QA_USERS_FILE to turn it on).",
                        args.host, args.port)
    demo.launch(
        server_name=args.host, server_port=args.port, share=False, show_error=False, ssr_mode=False,
        run_history=False, enable_monitoring=False, footer_links=["api"],
        max_file_size=qa.settings.max_file_bytes,  # uploads up to QA_MAX_FILE_MB, the corpus's own limit
        blocked_paths=[str(qa.settings.docs_dir.resolve()), str(qa.settings.index_dir.resolve())],
        auth=users.check if users else None, auth_message="articleqa: log in to ask and to add documents.",
        app_kwargs={"middleware": [Middleware(FileGuard, uploads_allowed=allowed)]},  # no file is served back
        css=CSS,
    )


if __name__ == "__main__":
    main()
