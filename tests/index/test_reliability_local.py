"""Index faults: a build killed at any point leaves the previous index in use; a damaged index is
detected and rebuilt (never a crash); builders running at once leave one consistent index.

The kills are real: `python -m qa index --force` in a subprocess, SIGKILLed from outside while it
embeds, or killing itself at the two most delicate points (data written but no manifest; manifest
written but CURRENT not yet switched). tests/test_index.py already covers truncated files.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qa import QA
from qa.cli import main as cli_main
from qa.index.local import CURRENT, MANIFEST, LocalStore, sha256_file
from tests.conftest import ARTICLE_DIR, ROOT, write_corpus
from tests.invariants import assert_contract

pytestmark = pytest.mark.slow

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}


def builds(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob("build-*"))


def current(index_dir: Path) -> str:
    return (index_dir / CURRENT).read_text()


def assert_consistent(docs: Path, index_dir: Path) -> None:
    """CURRENT names a complete build whose files match the manifest, and it loads as fresh."""
    folder = index_dir / current(index_dir)
    manifest = json.loads((folder / MANIFEST).read_text())
    for name, digest in manifest["files"].items():
        assert sha256_file(folder / name) == digest, name
    qa = QA(docs_dir=docs, index_dir=index_dir)
    _, report = qa.index()
    assert report is None and qa.store.current_folder() == folder
    loaded = qa.store.loaded()
    assert len(loaded.passages) == manifest["passages"] == loaded.dense.ntotal == len(loaded.vectors)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The three-document corpus and a built index of it, to copy from (building is the slow part)."""
    root = tmp_path_factory.mktemp("small")
    docs = write_corpus(root / "docs")
    QA(docs_dir=docs, index_dir=root / "index").index()
    return docs, root / "index"


@pytest.fixture
def built(small, tmp_path) -> tuple[Path, Path]:
    """A private copy of the small corpus's index (same corpus: it loads as fresh)."""
    docs, index = small
    shutil.copytree(index, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    return docs, tmp_path / "index"


# --------------------------------------------------------------------------- killed builds


KILL_WHILE_EMBEDDING = """
import os, signal, sys
from qa.embedding import Embedder

encode = Embedder.encode

def encode_then_die(self, texts, *args, **kwargs):
    if len(texts) > 1:  # the build's passages (a question is one text)
        os.kill(os.getpid(), signal.SIGKILL)
    return encode(self, texts, *args, **kwargs)

Embedder.encode = encode_then_die
from qa.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_during_a_build_leaves_the_previous_index_in_use(tmp_path):
    """`qa index --force` killed while it embeds the passages (the exact points where a half-written
    build exists are tested below)."""
    text = (ARTICLE_DIR / next(p.name for p in ARTICLE_DIR.iterdir() if p.suffix == ".txt")).read_text()
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(4):
        (docs / f"copy{i:02}.txt").write_text(f"Copy number {i} of the article.\n\n{text}")
    index_dir = tmp_path / "index"
    qa = QA(docs_dir=docs, index_dir=index_dir)
    before, _ = qa.index()
    live = current(index_dir)

    proc = subprocess.run([sys.executable, "-c", KILL_WHILE_EMBEDDING, "--docs", str(docs), "--index-dir",
                           str(index_dir), "index", "--force"], cwd=ROOT, env=ENV, capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    print(f"\nkilled `qa index --force` while embedding; build folders left: {builds(index_dir)}")

    assert current(index_dir) == live, "CURRENT still names the previous build"
    assert live in builds(index_dir)
    again = QA(docs_dir=docs, index_dir=index_dir)
    index, report = again.index()
    assert report is None, "the previous index is loaded as it is, not rebuilt"
    assert again.store.current_folder().name == live and index.passage_count == before.passage_count
    ans = again.ask("Who led the Ukrainian officials in Florida?")
    assert_contract(ans, docs)
    assert ans.citations, "it answers from the previous index"


KILL_AT = """
import os, signal, sys
import qa.index.build as B
import qa.index.local as I

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[1] == "data-written":  # every data file written, no manifest yet
    write = I.LocalStore.write_files
    def _write(self, *args):
        write(self, *args)
        die()
    I.LocalStore.write_files = _write
else:  # manifest written, the new CURRENT in its temporary file, not yet renamed over CURRENT
    write_atomic = B.write_atomic
    def _write_atomic(path, text):
        if path.name == I.CURRENT:
            path.with_name(f".{path.name}.{os.getpid()}.tmp").write_text(text)
            die()
        write_atomic(path, text)
    I.write_atomic = _write_atomic
from qa.cli import main
sys.exit(main(sys.argv[2:]))
"""


POINTS = ["data-written", "pointer-not-switched"]


@pytest.fixture(scope="module")
def builders(small, tmp_path_factory):
    """The builder processes of the tests below, all started at once (each spends seconds importing):
    one per delicate point, killing itself there, on its own copy of the small index; and two plain
    `qa index --force` at once on one fresh folder. Gives ``(folder, {name: (returncode, stdout, stderr)})``."""
    docs, index = small
    root = tmp_path_factory.mktemp("builders")
    procs = {}
    for point in POINTS:
        shutil.copytree(index, root / point, ignore=shutil.ignore_patterns(".lock"))
        procs[point] = [sys.executable, "-c", KILL_AT, point, "--docs", str(docs), "--index-dir", str(root / point),
                        "index", "--force"]
    for i in range(2):
        procs[f"builder{i}"] = [sys.executable, "-m", "qa", "--docs", str(docs), "--index-dir",
                                str(root / "concurrent"), "index", "--force"]
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True) for name, cmd in procs.items()}
    try:
        results = {name: (p.communicate(timeout=400), p.returncode) for name, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
    return root, {name: (rc, out, err) for name, ((out, err), rc) in results.items()}


@pytest.mark.parametrize("point", POINTS)
def test_killed_at_the_delicate_points_the_half_written_build_is_never_used(small, builders, point):
    docs, index = small
    root, results = builders
    rc, _, err = results[point]
    assert rc == -signal.SIGKILL, err[-2000:]
    index_dir = root / point
    live = current(index)
    (half,) = set(builds(index_dir)) - {live}
    assert (index_dir / half / MANIFEST).exists() == (point == "pointer-not-switched")
    assert current(index_dir) == live
    assert_consistent(docs, index_dir)  # the previous build, loaded as fresh
    # a later build cleans up the half-written folder and any temporary pointer file
    QA(docs_dir=docs, index_dir=index_dir).index(force=True)
    assert builds(index_dir) == [current(index_dir)] and current(index_dir) not in (live, half)
    assert not list(index_dir.glob(".CURRENT.*"))


def test_a_build_that_fails_midway_keeps_the_previous_index(built, monkeypatch, capsys):
    docs, index_dir = built
    live = current(index_dir)

    def disk_full(self, folder, *args):
        (folder / "passages.jsonl").write_text("{partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "dense.faiss"))

    monkeypatch.setattr(LocalStore, "write_files", disk_full)
    rc = cli_main(["--docs", str(docs), "--index-dir", str(index_dir), "index", "--force"])
    err = capsys.readouterr().err
    assert rc == 2 and "qa: error: [Errno 28] No space left on device" in err and "Traceback" not in err
    assert builds(index_dir) == [live] and current(index_dir) == live, "the failed build was removed"
    monkeypatch.undo()
    assert_consistent(docs, index_dir)


# ----------------------------------------------------------------------- damaged indexes


def _manifest(index_dir: Path) -> Path:
    return index_dir / current(index_dir) / MANIFEST


def _edit_manifest(index_dir: Path, change) -> None:
    m = json.loads(_manifest(index_dir).read_text())
    change(m)
    _manifest(index_dir).write_text(json.dumps(m))


DAMAGE = {
    "CURRENT is not UTF-8": lambda d: (d / CURRENT).write_bytes(b"\xff\xfe build-\x00"),
    "CURRENT is empty": lambda d: (d / CURRENT).write_text(""),
    "CURRENT points outside": lambda d: (d / CURRENT).write_text("build-x/../../.."),
    "build has no manifest (half-written)": lambda d: _manifest(d).unlink(),
    "manifest is a JSON list": lambda d: _manifest(d).write_text("[]"),
    "manifest is null": lambda d: _manifest(d).write_text("null"),
    "manifest is empty": lambda d: _manifest(d).write_text(""),
    "manifest lacks its file list": lambda d: _edit_manifest(d, lambda m: m.pop("files")),
    "manifest's skipped list is malformed": lambda d: _edit_manifest(
        d, lambda m: m.update(signature={}, skipped=[1, None])),
    "a data file is missing": lambda d: next((d / current(d) / "bm25_vocab").iterdir()).unlink(),
    "data file swapped for another build's": lambda d: shutil.copy(
        d / current(d) / "passages.jsonl", d / current(d) / "dense.faiss"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_index_is_detected_and_rebuilt(built, damage):
    docs, index_dir = built
    good = json.loads(_manifest(index_dir).read_text())["passages"]
    DAMAGE[damage](index_dir)
    qa = QA(docs_dir=docs, index_dir=index_dir)
    assert isinstance(qa.status(), str), "the cheap check never crashes (data files are checked on load)"
    index, report = qa.index()
    assert report is not None and report.action in ("built", "rebuilt"), "rebuilt, not crashed"
    assert index.passage_count == good
    assert builds(index_dir) == [current(index_dir)]
    assert_consistent(docs, index_dir)  # and fresh from then on: no rebuild loop


def test_stray_files_in_the_index_folder_are_ignored(built):
    docs, index_dir = built
    (index_dir / "build-20000101-000000-1-1").mkdir()  # an orphan of a killed build
    (index_dir / f".{CURRENT}.999.tmp").write_text("build-20000101-000000-1-1")
    (index_dir / "notes.txt").write_text("someone's file")
    assert_consistent(docs, index_dir)
    assert (index_dir / "notes.txt").exists()


# ------------------------------------------------------------------------ concurrent builds


def test_two_builder_processes_at_once_leave_one_consistent_index(small, builders):
    """`qa index --force` twice at once on a fresh folder: the lock serialises the two builds."""
    docs, _ = small
    root, results = builders
    outs = [results[f"builder{i}"] for i in range(2)]
    assert [rc for rc, _, _ in outs] == [0, 0], [err[-1500:] for _, _, err in outs]
    assert sorted(out.splitlines()[0].split(" (")[0] for _, out, _ in outs) == ["Built the index", "Rebuilt the index"]
    index_dir = root / "concurrent"
    assert builds(index_dir) == [current(index_dir)]
    assert_consistent(docs, index_dir)


def test_builder_threads_at_once_build_once(small, tmp_path):
    """Four QAs (one per thread) over a fresh folder: one builds, the others wait and load it."""
    docs, _ = small
    index_dir = tmp_path / "index"
    barrier = threading.Barrier(4)
    reports, errors = [], []

    def build() -> None:
        try:
            qa = QA(docs_dir=docs, index_dir=index_dir)
            barrier.wait()
            reports.append(qa.index()[1])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    assert sum(r is not None for r in reports) == 1 and len(reports) == 4
    assert builds(index_dir) == [current(index_dir)]
    assert_consistent(docs, index_dir)
