"""The key that signs session cookies and CSRF tokens, made at first start and kept in the project.

A key in the source or in a default config is the Label Studio CVE-2023-43791 mistake: anyone can
forge sessions. So each project gets its own random key in `.tuneloop/web-secret`, created with
mode 0600 (and a `.gitignore` beside it so it is never committed); a key file others can read is
refused rather than used.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from tuneloop.errors import TuneloopError

SECRET_DIR = ".tuneloop"
SECRET_FILE = "web-secret"


def load_or_create_secret(project: Path) -> bytes:
    folder = Path(project) / SECRET_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# tuneloop's private files: never commit them\n*\n")
    path = folder / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise TuneloopError(
                f"{path}: readable by others (mode {mode:o}); run `chmod 600 {path}` or delete it "
                "to make a new key (which signs everyone out)"
            ) from None
        key = path.read_bytes().strip()
        if len(key) < 32:
            raise TuneloopError(f"{path}: too short to be a key; delete it to make a new one") from None
        return key
    with os.fdopen(fd, "wb") as fh:
        key = secrets.token_hex(32).encode()
        fh.write(key + b"\n")
    return key
