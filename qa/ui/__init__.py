"""The chat page's logic, free of gradio (``app.py`` lays the page out with gradio and wires it here).

- :mod:`qa.ui.format`: answers, citations, notices and the index status as escaped HTML;
- :mod:`qa.ui.watcher`: :class:`IndexWatcher`, building or loading the index in the background;
- :mod:`qa.ui.chat`: :class:`Chat`, one chat turn, and :func:`answer_dict` for the API.

Everything is plain Python so it can be tested without a browser (``tests/ui/``).
"""

from qa.ui.chat import Chat, Conversation, answer_dict
from qa.ui.format import (
           IndexState,
           answer_html,
           documents_html,
           esc,
           highlight,
           notice_html,
           status_html,
)
from qa.ui.watcher import IndexWatcher

__all__ = ["Chat", "Conversation", "answer_dict", "IndexState", "answer_html", "documents_html", "esc",
           "highlight", "notice_html", "status_html", "IndexWatcher"]
