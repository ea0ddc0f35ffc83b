"""Fixtures of the browser tests: one headless Chromium per test module (Debian's package)."""

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make browser-deps`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


READY_MS = 300_000  # first start: build the index and load the models on a busy 2-core machine


@pytest.fixture
def page(request, browser, ui_app):
    """A fresh page on the app, once the index is ready; fails on any alert(). The module's
    ``VIEWPORT_HEIGHT`` (default 900) sets the window's height."""
    height = getattr(request.module, "VIEWPORT_HEIGHT", 900)
    context = browser.new_context(viewport={"width": 1280, "height": height})
    page = context.new_page()
    page.set_default_timeout(60_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(ui_app.url)
    page.wait_for_selector("#index-status .qa-ready", timeout=READY_MS)
    yield page
    assert dialogs == [], "a script in the page opened a dialog"
    context.close()
