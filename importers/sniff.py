"""What a file really is, from its bytes, never its name.

DMS "Excel" exports come as real workbooks (.xlsx, legacy BIFF .xls) and as text
saved with an .xls name: an HTML table, or tab-separated text. CSV/TSV arrive in
UTF-8 (with or without a BOM), GBK or GB18030, sometimes UTF-16 (Excel's
"Unicode text").
"""

from __future__ import annotations

import codecs
import zipfile
from dataclasses import dataclass
from pathlib import Path

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound document: BIFF .xls
ZIP_MAGIC = b"PK\x03\x04"
# Other things people pick by mistake, named so the refusal says what the file is.
OTHER_MAGIC = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3", "an SQLite database"),
]
PROBE_BYTES = 64 * 1024


class NotATable(ValueError):
    """The file is no readable table; the message says what it is instead, the code
    (for screens that word it in the user's language) which kind of refusal it is:
    missing, empty, not_table, damaged, no_rows, no_header, not_visits,
    not_vehicles, no_date, too_big (claims past importers.limits), broken (failed
    part-way), database."""

    def __init__(self, message: str, code: str = "not_table") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Sniffed:
    format: str  # xlsx | xls | html | csv | tsv
    encoding: str | None = None  # text formats: utf-8, utf-8-sig, gbk, gb18030, utf-16
    delimiter: str | None = None  # csv "," | tsv "\t"


def sniff(path: Path) -> Sniffed:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(PROBE_BYTES)
    except FileNotFoundError:
        raise NotATable("no such file", "missing") from None
    except IsADirectoryError:
        raise NotATable("is a directory, not a file", "missing") from None
    except OSError as exc:
        raise NotATable(f"cannot be read ({exc.strerror or exc})") from None
    if size == 0 or not head.strip(b" \t\r\n\x00"):
        raise NotATable("is empty", "empty")
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(path)
    if head.startswith(OLE2_MAGIC):
        return Sniffed("xls")
    for magic, what in OTHER_MAGIC:
        if head.startswith(magic):
            raise NotATable(f"is {what}, not a table")
    encoding = _text_encoding(path, head)
    text = head.decode(_codec(encoding), errors="ignore")
    if _binary(text):
        raise NotATable("holds binary data, not a table")
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if lowered.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        raise NotATable("is an Excel 2003 XML spreadsheet: open it in Excel and save it as .xlsx")
    if lowered.startswith(("<!doctype html", "<html", "<table", "<meta", "<?xml")) or "<table" in lowered[:4096]:
        if "<table" not in text.lower() and not _has_table(path, encoding):
            raise NotATable("is a web page without a table")
        return Sniffed("html", encoding)
    # Lines may end in CRLF, LF or a lone CR (classic Mac): splitlines takes them all.
    return _delimited(text, encoding)


def _binary(text: str) -> bool:
    """Whether decoded text is really binary: more than 1% NULs, or more than 10%
    other control characters (a stray NUL or two in a DMS export is dirt, removed
    with the other controls when the cells are read; it is no reason to refuse)."""
    if not text:
        return False
    nuls = text.count("\x00")
    controls = sum(1 for c in text if c < " " and c not in "\t\r\n\x00")
    return nuls * 100 > len(text) or controls * 10 > len(text)


def _sniff_zip(path: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile:
        raise NotATable("is a damaged zip/xlsx file", "damaged") from None
    except UnicodeDecodeError:
        raise NotATable("is a damaged zip/xlsx file (a file name in it is not valid text)", "damaged") from None
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise NotATable(f"is a damaged zip/xlsx file ({type(exc).__name__})", "damaged") from None
    if "xl/workbook.xml" in names or any(n.startswith("xl/worksheets/") for n in names):
        return Sniffed("xlsx")
    if "content.xml" in names:
        raise NotATable("is an OpenDocument spreadsheet (.ods): save it as .xlsx")
    if "word/document.xml" in names:
        raise NotATable("is a Word document, not a table")
    raise NotATable("is a zip archive, not a workbook")


def _codec(encoding: str) -> str:
    return "utf-16" if encoding.startswith("utf-16") else encoding


def _text_encoding(path: Path, head: bytes) -> str:
    """utf-8-sig, utf-16, utf-8, gbk or gb18030: the first that decodes the whole file."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        where = _bad_at(path, "utf-16")
        if where is not None:
            raise NotATable(f"is UTF-16 text with a damaged character near byte {where:,} "
                            "(a broken surrogate pair or a cut-off end)", "damaged")
        return "utf-16"
    else:
        candidates = ["utf-8", "gbk", "gb18030"]
    for encoding in candidates:
        if _decodes(path, encoding):
            return encoding
    if candidates == ["utf-8-sig"]:
        raise NotATable("starts with a UTF-8 mark but is not UTF-8 text")
    raise NotATable("is neither a workbook nor text in UTF-8, GBK or GB18030")


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes, read in chunks so memory stays flat."""
    return _bad_at(path, encoding) is None


def _bad_at(path: Path, encoding: str) -> int | None:
    """Where the file stops decoding (a byte offset), or None if it decodes whole."""
    decoder = codecs.getincrementaldecoder(encoding)()
    done = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(8 << 20):
                decoder.decode(chunk)
                done += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return max(0, done - len(exc.object) + exc.start) if isinstance(exc.object, bytes) else done
    return None


def _has_table(path: Path, encoding: str) -> bool:
    with path.open("r", encoding=_codec(encoding), errors="ignore") as fh:
        while chunk := fh.read(1 << 20):
            if "<table" in chunk.lower():
                return True
    return False


def _delimited(text: str, encoding: str) -> Sniffed:
    """Tab-separated when the first lines have tabs and more tabs than commas."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    tabs = sum(line.count("\t") for line in lines)
    commas = sum(line.count(",") for line in lines)
    if tabs and tabs >= commas:
        return Sniffed("tsv", encoding, "\t")
    if commas:
        return Sniffed("csv", encoding, ",")
    if len(lines) <= 1:
        raise NotATable("is a single line of text, not a table")
    raise NotATable("is plain text without columns (no commas or tabs)")

