"""Converted texts kept by content: a PDF, HTML or Word file is converted once per version of
its bytes, and the same text is then what the index, ``QA.document_text`` and the page use.

    >>> cache = ConvertedCache(tmp_dir)                                  # doctest: +SKIP
    >>> doc = cache.convert(open("report.pdf", "rb").read(), "report.pdf")  # doctest: +SKIP

Entries are JSON files named by the SHA-256 of the file's bytes and the converters' version
(``$QA_CACHE_DIR/converted/``, default ``~/.cache/articleqa``), written atomically. A file
that can't be converted is remembered too, so a broken upload is not re-parsed every time
(except when it ran out of time or memory, which a less busy machine may not).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from qa.ingest.convert import Converted, ConversionError
from qa.ingest.convert.isolate import convert_isolated

VERSION = 1  # bump when a converter's output changes, so old entries are not reused
TRANSIENT = ("refused: converting it took over", "refused: converting it needed over", "could not be converted")


def default_root() -> Path:
    return Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "articleqa") / "converted"


class ConvertedCache:
    """Conversion results (text or refusal) by the SHA-256 of the file's bytes."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    def convert(self, data: bytes, name: str) -> Converted:
        """The converted file, from the cache or by converting it (in a child process) now."""
        key = hashlib.sha256(data).hexdigest()
        kind = name.rsplit(".", 1)[-1].lower()
        path = self.root / f"{key}-{kind}-v{VERSION}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entry = None
        if entry is None:
            try:
                entry = {"converted": asdict(convert_isolated(data, name))}
            except ConversionError as exc:
                entry = {"error": exc.reason}
            if not entry.get("error", "").startswith(TRANSIENT):  # a busy machine may do better next time
                self._write(path, entry)
        if "error" in entry:
            raise ConversionError(entry["error"])
        return Converted.from_dict(entry["converted"])

    def _write(self, path: Path, entry: dict) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # a read-only or full cache only costs converting again next time
            pass
