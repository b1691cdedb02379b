"""What a file may claim before we believe it: bounds no real DMS export reaches.

A workbook says how big it is (a sheet's ``<dimension>``, the sizes in its zip
directory, a BIFF record's row and column); the native readers allocate what it
says. These checks run on those claims before a reader sees the file, so a
1.6 KB file that claims a whole sheet, or a 400 KB file holding a 400 MB string,
is refused in one line instead of taking the machine's memory.

| what | at most | why this is safe |
| --- | --- | --- |
| rows of a sheet or text file | 5,000,000 | Excel holds 1,048,576; a DMS month is tens of thousands |
| columns a sheet claims | 1,024 | DMS exports have under 200 (Excel allows 16,384) |
| cells a sheet claims (rows × columns) | 60,000,000 | 1,048,576 rows of 57 columns |
| one cell or shared string | 32,767 characters | Excel's own cell limit |
| one line of a text file | 16 MiB | 500 columns of 32,767 characters |
| one part of a zipped workbook (xlsx, xlsb, ods), unpacked | 2 GiB (shared strings 1 GiB) | a 1M-row export's sheet is ~300 MB |
| how far such a part unpacks | 200× its packed size (parts over 1 MiB) | real sheets pack 5-30× |
| an .xls file | 256 MiB; read in a child process held to 3 GiB | BIFF holds 65,536 rows |
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from importers.sniff import NotATable, part_name

MAX_ROWS = 5_000_000
MAX_COLUMNS = 1_024
MAX_CLAIMED_CELLS = 60_000_000
MAX_CELL_CHARS = 32_767
MAX_LINE_BYTES = 16 << 20
MAX_PART_BYTES = 2 << 30
MAX_SHARED_STRINGS_BYTES = 1 << 30
MAX_RATIO = 200
RATIO_FLOOR = 1 << 20  # small parts (styles, themes) may pack better than real sheets: no ratio check
MAX_XLS_BYTES = 256 << 20
XLS_MEMORY = 3 << 30

# An XML text node may hold a cell's 32,767 characters, each up to 4 bytes of UTF-8
# or a 6-byte entity (&quot;): no run of bytes between two "<" is longer in a real file.
MAX_XML_RUN = MAX_CELL_CHARS * 6 + 1024
_LONG_RUN = re.compile(rb"(?<![^<])[^<]{%d}" % MAX_XML_RUN)  # a run starting after "<": linear

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\s*([A-Za-z]{1,4})?(\d{1,10})?(?::([A-Za-z]{1,4})(\d{1,10}))?')


def column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def claimed_size(head: bytes) -> tuple[int, int] | None:
    """(rows, columns) a sheet's ``<dimension ref="A1:P40">`` claims, or None."""
    found = _DIMENSION.search(head)
    if not found:
        return None
    c1, r1, c2, r2 = (g.decode("ascii") if g else None for g in found.groups())
    rows = int(r2 or r1 or 0)
    cols = column_number(c2 or c1 or "A")
    return rows, cols


def check_dimension(head: bytes, sheet: str) -> int | None:
    """The sheet's claimed last row, after refusing a claim past the bounds."""
    size = claimed_size(head)
    if size is None:
        return None
    rows, cols = size
    if rows > MAX_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_CLAIMED_CELLS:
        raise NotATable(f"sheet {sheet} claims {rows:,} rows × {cols:,} columns, past what a DMS export holds "
                        f"(at most {MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns, {MAX_CLAIMED_CELLS:,} cells)",
                        "too_big")
    return rows or None


def _damaged(fmt: str, what: str, exc: BaseException) -> NotATable:
    detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
    return NotATable(f"is a damaged {fmt} file ({what}: {detail})", "damaged")


def check_zip(path: Path, fmt: str = "xlsx") -> None:
    """Refuse a zipped workbook (``fmt``: xlsx, xlsb or ods) whose parts unpack past
    the bounds, hold a string longer than a cell may, or cannot be unpacked at all
    (bad deflate data, a compression method we cannot read, a broken name): all
    from the zip directory and a streaming pass over the text parts that hold cells
    (an xlsx's shared strings and workbook, an ods's content), before calamine
    allocates anything. Part names are compared as parts (``\\`` or ``/``, any case)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            for info in infos:
                if info.is_dir():
                    continue
                limit = MAX_SHARED_STRINGS_BYTES if _is_shared_strings(info.filename) else MAX_PART_BYTES
                if info.file_size > limit:
                    raise NotATable(f"has a part ({info.filename}) that unpacks to {info.file_size:,} bytes, "
                                    f"past {limit:,}", "too_big")
                if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
                    raise NotATable(f"has a part ({info.filename}) that unpacks {info.file_size // max(1, info.compress_size):,}"
                                    f" times its size: a zip bomb, not an export", "too_big")
            for info in infos:
                if _scanned(part_name(info.filename), fmt):
                    _scan_part(zf, info)
    except NotATable:
        raise
    except UnicodeDecodeError as exc:
        raise NotATable(f"is a damaged {fmt} file (a file name in it is not valid text)", "damaged") from None
    except zipfile.BadZipFile as exc:
        raise _damaged(fmt, "bad zip data", exc) from None
    except zlib.error as exc:
        raise _damaged(fmt, "bad compressed data", exc) from None
    except NotImplementedError as exc:
        raise _damaged(fmt, "a compression method this reader does not know", exc) from None
    except (OSError, EOFError, ValueError) as exc:
        raise _damaged(fmt, type(exc).__name__, exc) from None


def _scanned(part: str, fmt: str) -> bool:
    """The text parts whose runs are checked against a cell's length."""
    if fmt == "ods":
        return part == "content.xml"
    if fmt != "xlsx":
        return False
    leaf = part.rsplit("/", 1)[-1]
    return leaf in ("sharedstrings.xml", "workbook.xml", "workbook.xml.rels")


def _is_shared_strings(name: str) -> bool:
    return part_name(name).rsplit("/", 1)[-1] in ("sharedstrings.xml", "sharedstrings.bin")


def _scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Unpack one part in chunks (never whole), refusing a run of text longer than a
    cell may hold. zipfile stops at the size the directory claims and checks the CRC."""
    carry = b""
    with zf.open(info) as fh:
        while chunk := fh.read(4 << 20):
            data = carry + chunk
            if _LONG_RUN.search(data):
                raise NotATable(f"holds a text longer than a cell's {MAX_CELL_CHARS:,} characters "
                                f"({info.filename})", "too_big")
            cut = data.rfind(b"<")
            carry = data[cut:] if cut >= 0 else data


def sheet_head(zf: zipfile.ZipFile, member: str, n: int = 4096) -> bytes:
    with zf.open(member) as fh:
        return fh.read(n)


def check_xls(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_XLS_BYTES:
        raise NotATable(f"is an .xls of {size:,} bytes, past {MAX_XLS_BYTES:,} (BIFF holds 65,536 rows)", "too_big")
