"""Logins for the chat page: users and scrypt-hashed passwords in a file named by ``QA_USERS_FILE``.

    $ python -m qa.ui.auth add alice --file users.txt     # asks for the password twice
    $ QA_USERS_FILE=users.txt python app.py --host 0.0.0.0

    >>> line = hash_password("correct horse", salt=b"0123456789abcdef")
    >>> line.startswith("scrypt$16384$8$1$"), verify("correct horse", line), verify("wrong", line)
    (True, True, False)

Each line of the file is ``name:scrypt$N$r$p$salt$hash`` (salt and hash in base64); blank lines
and ``#`` comments are ignored. Passwords are never stored, only their scrypt hashes
(``hashlib.scrypt``, a memory-hard key derivation, standard library), compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sys
from pathlib import Path

from qa.config import ConfigError

N, R, P = 2**14, 8, 1  # scrypt's cost: about 16 MB and a few tens of ms per check
ENV = "QA_USERS_FILE"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` for ``password`` (a fresh random salt unless given)."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${N}${R}${P}${b64(salt)}${b64(digest)}"


def verify(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (False for a malformed one)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(want), maxmem=64 * 2**20)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


class Users:
    """The users allowed to log in, read once from their file."""

    def __init__(self, hashes: dict[str, str], path: Path | None = None) -> None:
        self.hashes = hashes
        self.path = path

    @classmethod
    def load(cls, path: str | Path) -> "Users":
        """Read ``path``; :class:`ConfigError` naming the file and line when it can't be used."""
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{ENV}={path}: can't read the users file ({getattr(exc, 'strerror', None) or exc}).") from None
        hashes = {}
        for no, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, stored = line.partition(":")
            if not sep or not name or not stored.startswith("scrypt$") or stored.count("$") != 5:
                raise ConfigError(f"{ENV}={path}, line {no}: expected name:scrypt$N$r$p$salt$hash "
                                  "(make lines with `python -m qa.ui.auth add NAME`).")
            hashes[name] = stored
        if not hashes:
            raise ConfigError(f"{ENV}={path}: the users file names no user.")
        return cls(hashes, path)

    @classmethod
    def from_env(cls) -> "Users | None":
        """The users of ``$QA_USERS_FILE``, or None when it is not set."""
        path = os.environ.get(ENV, "").strip()
        return cls.load(path) if path else None

    def check(self, username: str, password: str) -> bool:
        """Gradio's ``auth`` callable: True when the name is known and the password matches."""
        stored = self.hashes.get(username)
        if stored is None:
            verify(password, hash_password("", salt=b"\0" * 16))  # same work either way: no timing hint
            return False
        return verify(password, stored)


def add_user(path: str | Path, name: str, password: str) -> None:
    """Add ``name`` to the users file (or replace its password), keeping the other lines."""
    if not name or ":" in name or name != name.strip():
        raise ValueError("a user name must be non-empty, without ':' or surrounding spaces")
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    lines = [ln for ln in lines if ln.partition(":")[0].strip() != name]
    lines.append(f"{name}:{hash_password(password)}")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import getpass

    p = argparse.ArgumentParser(prog="python -m qa.ui.auth", description="Manage the chat page's logins.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("add", help="add a user, or set a user's password")
    a.add_argument("name")
    a.add_argument("--file", default=os.environ.get(ENV), help=f"the users file (default: ${ENV})")
    args = p.parse_args(argv)
    if not args.file:
        p.error(f"say which file: --file FILE or {ENV}")
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        add_user(args.file, args.name, password)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.name} can log in (users file {args.file}).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
