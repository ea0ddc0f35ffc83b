"""Adding and removing documents from the page: the logic (real files, a real QA's settings), the
middleware that serves no file back, logins, and the running app (Gradio's upload route: the
size limit, nothing served back, the cache emptied; off beyond localhost unless logged in)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from qa.config import ConfigError, Settings
from qa.ui.auth import Users, add_user, hash_password, verify
from qa.ui.uploads import FileGuard, Uploads
from tests.conftest import ROOT, RunningApp
from tests.ingest.samples import make_image_only_pdf, make_pdf

MB = 2**20


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))


class Corpus:
    """What Uploads needs of a QA: its settings (the real Settings class)."""

    def __init__(self, docs: Path, max_bytes: int = 10 * MB) -> None:
        self.settings = Settings(docs_dir=docs, index_dir=docs.parent / "index", max_file_bytes=max_bytes)


def gradio_temp_copy(tmp_path: Path, src: Path) -> str:
    """Where Gradio would have put an upload: a folder of its own, the original name."""
    folder = tmp_path / "gradio" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return str(shutil.copy(src, folder / src.name))


def test_add_writes_good_files_names_bad_ones_and_deletes_the_uploads(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    good, scan = tmp_path / "Annual report.pdf", tmp_path / "scan.pdf"
    make_pdf(good)
    make_image_only_pdf(scan)
    uploaded = [gradio_temp_copy(tmp_path, good), gradio_temp_copy(tmp_path, scan)]
    lines = Uploads(Corpus(docs), watcher=None).add(uploaded)
    assert lines[0] == ("info", "Added Annual report.pdf (4 pages).")
    assert lines[1][0] == "warning" and lines[1][1].startswith("Not added: scan.pdf: no text layer")
    assert sorted(p.name for p in docs.iterdir()) == ["Annual report.pdf"]
    assert not any(Path(p).exists() for p in uploaded)  # Gradio's copies are gone


def test_remove_and_its_refusals(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Ann met Bob.")
    (tmp_path / "outside.txt").write_text("keep me")
    up = Uploads(Corpus(docs), watcher=None)
    assert up.remove("../outside.txt")[0] == "warning" and (tmp_path / "outside.txt").exists()
    assert up.remove(None) == ("warning", "Choose a document to remove.")
    assert up.remove("a.txt") == ("info", "Removed a.txt.")
    assert not (docs / "a.txt").exists()


def test_when_off_nothing_changes(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Ann met Bob.")
    src = tmp_path / "b.txt"
    src.write_text("Bob met Carl.")
    up = Uploads(Corpus(docs), watcher=None, allowed=False, why_not="Off here.")
    assert up.add([gradio_temp_copy(tmp_path, src)]) == [("warning", "Off here.")]
    assert up.remove("a.txt") == ("warning", "Off here.")
    assert sorted(p.name for p in docs.iterdir()) == ["a.txt"]


# ------------------------------------------------------------------ the middleware


def guarded_client(uploads_allowed: bool):
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def ok(request):
        return PlainTextResponse("served")

    app = Starlette(routes=[Route("/{path:path}", ok, methods=["GET", "POST", "HEAD"])],
                    middleware=[Middleware(FileGuard, uploads_allowed=uploads_allowed)])
    return TestClient(app)


@pytest.mark.parametrize("path", ["/gradio_api/file=/tmp/gradio/x/report.pdf", "/file=/etc/passwd",
                                  "/gradio_api/file/tmp/gradio/x/a.txt", "/gradio_api/proxy=http://x/",
                                  "/gradio_api/stream/s/0/c/playlist-file"])
def test_no_file_is_served_back(path):
    r = guarded_client(True).get(path)
    assert r.status_code == 404 and r.text == "Not found"


def test_uploads_refused_when_off_and_pages_still_served():
    on, off = guarded_client(True), guarded_client(False)
    assert on.post("/gradio_api/upload").text == "served"
    assert off.post("/gradio_api/upload").status_code == 403
    assert off.get("/").text == "served" and off.post("/gradio_api/queue/join").text == "served"


# --------------------------------------------------------------------------- logins


def test_passwords_are_hashed_and_checked(tmp_path):
    users_file = tmp_path / "users.txt"
    add_user(users_file, "alice", "correct horse battery")
    add_user(users_file, "bob", "another long one")
    add_user(users_file, "alice", "new password here")  # replaces alice's line
    text = users_file.read_text()
    assert "correct horse" not in text and "new password" not in text and text.count("alice:") == 1
    assert oct(users_file.stat().st_mode & 0o777) == "0o600"
    users = Users.load(users_file)
    assert users.check("alice", "new password here") and not users.check("alice", "correct horse battery")
    assert users.check("bob", "another long one") and not users.check("carol", "another long one")
    assert hash_password("x") != hash_password("x")  # salted
    assert not verify("x", "md5$abc")


@pytest.mark.parametrize("content,why", [("alice:plaintext\n", "line 1"), ("# only a comment\n", "names no user")])
def test_bad_users_file_says_which_line(tmp_path, content, why):
    path = tmp_path / "users.txt"
    path.write_text(content)
    with pytest.raises(ConfigError, match=why):
        Users.load(path)


def test_users_cli_reads_the_password_from_stdin(tmp_path):
    path = tmp_path / "users.txt"
    done = subprocess.run([sys.executable, "-m", "qa.ui.auth", "add", "alice", "--file", str(path)],
                          input="long enough password\n", text=True, capture_output=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert Users.load(path).check("alice", "long enough password")
    short = subprocess.run([sys.executable, "-m", "qa.ui.auth", "add", "bob", "--file", str(path)],
                           input="short\n", text=True, capture_output=True, cwd=ROOT, timeout=60)
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


# ------------------------------------------------------------------- the running app


class App(RunningApp):
    """app.py with extra arguments and environment (host, users file, cache period, size limit)."""

    def __init__(self, root: Path, args: list[str] = (), env: dict[str, str] | None = None) -> None:
        import socket

        docs = root / "docs"
        docs.mkdir(parents=True, exist_ok=True)
        (docs / "bakery.txt").write_text("The Corner Bakery was founded in 1987 by Maria Lopez in Valencia.\n")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.docs, self.index, self.log = docs, root / "index", root / "app.log"
        full_env = {**os.environ, "GRADIO_SERVER_PORT": str(self.port), "QA_DOCS_DIR": str(docs),
                    "QA_INDEX_DIR": str(self.index), "PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                    "GRADIO_TEMP_DIR": str(root / "gradio-tmp"), **(env or {})}
        full_env.pop("GRADIO_SERVER_NAME", None)
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), *args], cwd=ROOT, env=full_env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait(300)
        except BaseException:
            self.stop()
            raise


def post_file(url: str, name: str, data: bytes, cookie: str | None = None) -> tuple[int, str]:
    """A multipart POST to Gradio's upload route, as any client could send."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url + "/gradio_api/upload", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                          **({"Cookie": cookie} if cookie else {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def get(url: str, cookie: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@pytest.mark.slow
def test_upload_route_limit_nothing_served_and_cache_emptied(tmp_path):
    app = App(tmp_path, env={"QA_MAX_FILE_MB": "1", "QA_UPLOAD_CACHE_SECONDS": "2"})
    try:
        status, text = post_file(app.url, "big.txt", b"x" * (MB + 10))
        assert status == 413 and "maximum allowed size" in text  # QA_MAX_FILE_MB, not Gradio's default
        status, text = post_file(app.url, "note.txt", b"Uploaded by anyone.")
        assert status == 200, text
        (stored,) = __import__("json").loads(text)
        assert Path(stored).is_file() and Path(stored).is_relative_to(tmp_path / "gradio-tmp")
        for route in (f"/gradio_api/file={stored}", f"/gradio_api/file/{stored}", f"/file={stored}"):
            assert get(app.url + route)[0] == 404, route  # never served back
        deadline = time.monotonic() + 30
        while Path(stored).exists() and time.monotonic() < deadline:  # delete_cache: every 2 s, older than 2 s
            time.sleep(0.5)
        assert not Path(stored).exists(), "Gradio's cache was not emptied"
        assert get(app.url + "/")[0] == 200  # the page itself is served as before
    finally:
        app.stop()


@pytest.mark.slow
def test_beyond_localhost_without_login_uploads_are_off(tmp_path):
    app = App(tmp_path, args=["--host", "0.0.0.0"])
    try:
        assert post_file(app.url, "note.txt", b"Anyone.")[0] == 403
        assert get(app.url + "/")[0] == 200  # asking still works without a login
        assert "without a login" in app.log_tail()
    finally:
        app.stop()


@pytest.mark.slow
def test_beyond_localhost_with_a_login_uploads_need_it(tmp_path):
    users = tmp_path / "users.txt"
    add_user(users, "alice", "correct horse battery")
    app = App(tmp_path, args=["--host", "0.0.0.0"], env={"QA_USERS_FILE": str(users)})
    try:
        assert post_file(app.url, "note.txt", b"Anyone.")[0] in (401, 403)  # not logged in
        bad = urllib.request.Request(app.url + "/login", data=b"username=alice&password=wrong", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(bad, timeout=60)
        login = urllib.request.Request(app.url + "/login", data=b"username=alice&password=correct+horse+battery",
                                       method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(login, timeout=60) as r:
            cookie = "; ".join(c.split(";")[0] for c in r.headers.get_all("set-cookie"))
        status, text = post_file(app.url, "note.txt", b"Alice's note.", cookie)
        assert status == 200, text
    finally:
        app.stop()
