"""Files Beacon writes are its users' data: folders 0700, files 0600, whatever the umask.

The instance folder holds the secret key, the SQLite databases and the CSV exports; a
default umask would leave them readable by every account on the machine.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO, Any

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def private_directory(path: str | os.PathLike) -> Path:
    """``path`` as a folder (made with its parents if missing) that only its owner can open."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(PRIVATE_DIRECTORY)
    return path


def private_file(path: str | os.PathLike) -> Path:
    """``path`` as an existing file (empty if it was missing) that only its owner can read,
    in a private folder. SQLite gives a database's -wal and -shm files its permissions.

    A file that exists is never opened: closing any descriptor of a file drops every POSIX
    lock this process holds on it, and SQLite's connections to it rely on theirs (without
    them another process's last connection deletes the -wal file under ours, whose later
    reads then miss every other process's writes)."""
    path = Path(path)
    private_directory(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(PRIVATE_FILE)
    return path


def open_private(path: str | os.PathLike[str], **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing (truncated) as a private file, in text mode unless
    ``kwargs`` say otherwise; the folder is made private too."""
    path = Path(path)
    private_directory(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    return os.fdopen(fd, "w", **kwargs)
