"""Convert an untrusted file in a child process, so that a PDF or ZIP bomb, or a parser stuck
on a hostile file, costs at most ``timeout_s`` seconds and ``memory_mb`` of memory.

    >>> doc = convert_isolated(open("upload.pdf", "rb").read(), "upload.pdf")   # doctest: +SKIP

The child (``python -m qa.ingest.convert``) sets ``RLIMIT_AS`` and ``RLIMIT_CPU`` on itself
before parsing anything, and is killed at the deadline; either way the file gets a :class:`ConversionError` saying so.
Plain text and Markdown need no parser and are converted in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from qa.ingest.convert import Converted, ConversionError, convert_bytes

TIMEOUT_S = 60.0
MEMORY_MB = 2048


def convert_isolated(data: bytes, name: str, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB) -> Converted:
    """:func:`qa.ingest.convert.convert_bytes` in a child process with limits; same result or error.

    The child reads ``data`` from its standard input, so it converts exactly these bytes.
    """
    if name.lower().endswith((".txt", ".md")):
        return convert_bytes(data, name)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[3]), env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "qa.ingest.convert", "--stdin", name, "--limits", str(memory_mb), str(int(timeout_s) + 1)],
            input=data, capture_output=True, timeout=timeout_s, env=env,
        )  # the child sets its own limits: a preexec_fn is unsafe in a process with threads (the page)
    except subprocess.TimeoutExpired:
        raise ConversionError(f"refused: converting it took over {timeout_s:g} s (a PDF or ZIP bomb?)") from None
    try:
        result = json.loads(proc.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        err = proc.stderr.decode("utf-8", "replace")
        if proc.returncode < 0 or "MemoryError" in err or "Cannot allocate" in err:
            raise ConversionError(f"refused: converting it needed over {memory_mb:,} MB of memory or "
                                  f"{timeout_s:g} s of CPU (a PDF or ZIP bomb?)") from None
        last = err.strip().splitlines()[-1][:160] if err.strip() else f"exit status {proc.returncode}"
        raise ConversionError(f"could not be converted ({last})") from None
    if "error" in result:
        raise ConversionError(result["error"])
    return Converted.from_dict(result["converted"])
