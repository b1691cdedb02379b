"""A whole-workbook read (fastexcel) in a child process held to a memory bound.

calamine reads a legacy .xls, an .xlsb, an .ods (and an xlsx the streaming reader
refuses) into one
dense range per sheet, sized by the rows and columns the file's records claim: a
28 KB file whose record claims 2 billion rows asks for petabytes, and Rust aborts
the process when an allocation fails -- no exception to catch. So the read runs
in a child held to :data:`importers.limits.XLS_MEMORY` of address space; each
sheet comes back as an Arrow IPC file of text columns in a private temporary
directory. A child that runs out of memory, aborts or panics is a refused file,
told in one line naming the format the bytes are; the counter itself never feels
it. The child opens the file through a link named for that format (calamine picks
its reader by the suffix), so an xlsx saved as ``.xls`` is read as the xlsx it is.

Run as ``python -m importers.sandbox SOURCE OUTDIR``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from importers.limits import XLS_MEMORY
from importers.sniff import UNPROTECT, NotATable

TIMEOUT_S = 600
FAILED = 3  # the child's exit status for a file fastexcel refused (its reason on stderr)


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    bound = XLS_MEMORY if soft == resource.RLIM_INFINITY else min(soft, XLS_MEMORY)
    resource.setrlimit(resource.RLIMIT_AS, (bound, hard))


def read_isolated(path: Path, fmt: str) -> tuple[tempfile.TemporaryDirectory, list[tuple[str, Path]]]:
    """(the temporary directory, [(sheet name, its IPC file)]). Raises NotATable."""
    tmp = tempfile.TemporaryDirectory(prefix="dealerdesk-read-")  # mode 0700: it holds customers' rows
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
               POLARS_MAX_THREADS="1", RUST_BACKTRACE="0")
    from importers.readers import named_for

    source, _ = named_for(path, fmt, Path(tmp.name))
    try:
        done = subprocess.run([sys.executable, "-m", "importers.sandbox", str(source), tmp.name],
                              capture_output=True, env=env, timeout=TIMEOUT_S,
                              preexec_fn=_limit_memory if os.name == "posix" else None)
    except subprocess.TimeoutExpired:
        tmp.cleanup()
        raise NotATable(f"is an {fmt} workbook that could not be read in {TIMEOUT_S} s", "damaged") from None
    err = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        tmp.cleanup()
        last = err.splitlines()[-1] if err else ""
        if done.returncode == FAILED and "password" in last.lower():
            raise NotATable(f"is a password-protected {fmt} workbook: {UNPROTECT}", "protected")
        if done.returncode == FAILED:
            raise NotATable(f"is a damaged {fmt} workbook ({last[:200]})", "damaged")
        if "memory allocation" in err or "MemoryError" in err or "Cannot allocate" in err:
            raise NotATable(f"is an {fmt} workbook whose records claim more than {XLS_MEMORY >> 30} GiB of memory "
                            "to read: a damaged file, not an export", "too_big")
        raise NotATable(f"is a damaged {fmt} workbook (its reader failed: "
                        f"{last[:160] or f'exit status {done.returncode}'})", "damaged")
    try:
        names = json.loads((Path(tmp.name) / "sheets.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tmp.cleanup()
        raise NotATable(f"is a damaged {fmt} workbook (its reader gave nothing back)", "damaged") from None
    return tmp, [(name, Path(tmp.name) / f"{i}.arrow") for i, name in enumerate(names)]


def _child(source: str, outdir: str) -> int:  # pragma: no cover - runs in the child
    import fastexcel
    import polars as pl

    try:
        reader = fastexcel.read_excel(source)
        names = list(reader.sheet_names)
        for i in range(len(names)):
            # skip_rows=0 keeps leading blank rows, so row numbers match the sheet.
            sheet = reader.load_sheet(i, header_row=None, skip_rows=0, dtypes="string")
            pl.DataFrame(sheet).write_ipc(Path(outdir) / f"{i}.arrow")
    except fastexcel.FastExcelError as exc:
        text = str(exc).strip()
        print(text.splitlines()[0] if text else type(exc).__name__, file=sys.stderr)
        return FAILED
    except BaseException as exc:  # a panic (BaseException) or anything else: the parent words it
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        print(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}", file=sys.stderr)
        return 4
    (Path(outdir) / "sheets.json").write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - the child
    sys.exit(_child(sys.argv[1], sys.argv[2]))
