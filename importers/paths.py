"""What a clerk types into the import box, as files: one or more paths (quote a path
with spaces), a folder (every export in it), a glob (``exports/*.xlsx``), ``~`` for
home; relative to the folder the app was started in. Pure functions over the file
system, tested on folders the tests make."""

from __future__ import annotations

import glob
import os
import shlex
from pathlib import Path

GLOB_CHARS = set("*?[")


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text.strip())
    except ValueError:  # an unclosed quote: take the text as one path
        return [text.strip().strip("\"'")] if text.strip() else []


def _files_in(folder: Path) -> list[Path]:
    """A folder's files, not its hidden ones or its subfolders, in name order."""
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))),
                  key=lambda p: p.name)


def expand_paths(text: str, *, cwd: Path | None = None) -> tuple[list[Path], list[str]]:
    """(the files ``text`` names, in order and each once; what matched nothing)."""
    base = Path(cwd or os.getcwd())
    files: list[Path] = []
    unmatched: list[str] = []
    for token in _tokens(text):
        path = Path(token).expanduser()
        if not path.is_absolute():
            path = base / path
        if GLOB_CHARS & set(token):
            found = [Path(p) for p in sorted(glob.glob(str(path)))]
            found = [f for p in found for f in (_files_in(p) if p.is_dir() else [p])
                     if not f.name.startswith(("~$", "."))]  # Excel's lock files are no exports
        elif path.is_dir():
            found = _files_in(path)
        elif path.exists():
            found = [path]
        else:
            found = []
        if not found:
            unmatched.append(token)
        for f in found:
            if f not in files:
                files.append(f)
    return files, unmatched


def complete_path(text: str, *, cwd: Path | None = None) -> str | None:
    """``text`` with its last path completed as far as it is unambiguous (a folder
    gets its trailing ``/``), or None when nothing more can be added."""
    if not text or text.endswith(" "):
        return None
    head, _, last = text.rpartition(" ")
    if last.startswith(("'", '"')):
        return None
    base = Path(cwd or os.getcwd())
    typed = Path(last).expanduser()
    folder = typed.parent if not last.endswith("/") else typed
    stem = "" if last.endswith("/") else typed.name
    look_in = folder if folder.is_absolute() else base / folder
    try:
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in look_in.iterdir()
                       if p.name.startswith(stem) and not p.name.startswith("."))
    except OSError:
        return None
    if not names:
        return None
    common = os.path.commonprefix(names)
    if len(common) <= len(stem):
        return None
    prefix = last[: len(last) - len(stem)] if stem else last
    return (head + " " if head else "") + prefix + common


def store_folders(root: Path) -> tuple[list[tuple[str, list[Path]]], list[Path]]:
    """A dealer group's exports laid out one folder per store 门店, each named by the
    store's code (``exports/GZ01/*.xlsx``, ``exports/SZ02/*.csv``): ([(code, its
    files in name order)], in folder-name order; the files lying directly in ``root``,
    which belong to no store). Hidden folders and Excel's lock files are left out; an
    empty store folder is listed with no files."""
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    return [(p.name, _files_in(p)) for p in folders], _files_in(root)
