"""Files that hold customers' or the store's data are readable by their owner only.

Every export, report file, member bill and rejects workbook is written through
:func:`open_private`, and a new SQLite database file is made by
:func:`create_private`: mode 0600 from the moment the file exists, before any data
is in it (not a chmod after the fact). A file that already exists is tightened to
0600 before it is overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

PRIVATE_MODE = 0o600


def _tighten(fd: int) -> None:
    try:
        os.fchmod(fd, PRIVATE_MODE)
    except (AttributeError, NotImplementedError, OSError):  # pragma: no cover - Windows has no modes to set
        pass


def open_private(path: str | Path, mode: str = "wb", **kwargs: Any) -> IO:
    """Open ``path`` for writing (created, or emptied) as a file only its owner may
    read. ``mode`` is "wb" or "w" (text: pass ``encoding`` and ``newline`` as to
    :func:`open`). The parent directory is created."""
    if mode not in ("w", "wb"):
        raise ValueError(f"open_private writes a file: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), PRIVATE_MODE)
    try:
        _tighten(fd)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def create_private(path: str | Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; True if it was created.
    (An empty file is a valid SQLite database: SQLite fills it, and gives its
    -wal and -shm files the same mode.)"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return False
    _tighten(fd)
    os.close(fd)
    return True
