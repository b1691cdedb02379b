"""What a file really is, from its bytes, never its name.

DMS "Excel" exports come as real workbooks and as text saved with an .xls name:
an HTML table, or tab-separated text. CSV/TSV arrive in UTF-8 (with or without a
BOM), GBK or GB18030, sometimes UTF-16 (Excel's "Unicode text").

| bytes | what it is | format |
| --- | --- | --- |
| zip, main part ``workbook.xml`` (wherever ``_rels/.rels`` puts it, ``/`` or ``\\`` in its names) | Excel workbook | xlsx |
| zip, main part ``workbook.bin`` | Excel binary workbook | xlsb |
| zip, ``mimetype`` of an OpenDocument spreadsheet | LibreOffice / WPS | ods |
| OLE2 compound file with a ``Workbook`` (or ``Book``) stream | legacy Excel (BIFF) | xls |
| OLE2 compound file with an ``EncryptedPackage`` stream | a password-protected .xlsx/.xlsb | refused: protected |
| an ods whose manifest encrypts its content | a password-protected .ods | refused: protected |
"""

from __future__ import annotations

import codecs
import zipfile
import zlib
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
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
SMALL_PART = 1 << 20  # _rels/.rels, the mimetype, an ods manifest: a few hundred bytes in a real file
UNPROTECT = "open it with its password in Excel, WPS or LibreOffice, save it without one and import that copy"


class NotATable(ValueError):
    """The file is no readable table; the message says what it is instead, the code
    (for screens that word it in the user's language) which kind of refusal it is:
    missing, empty, not_table, damaged, protected (a password), no_rows, no_header,
    not_visits, not_vehicles, no_date, too_big (claims past importers.limits),
    broken (failed part-way), database."""

    def __init__(self, message: str, code: str = "not_table") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Sniffed:
    format: str  # xlsx | xlsb | ods | xls | html | csv | tsv
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
        return _sniff_ole2(path)
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


def part_name(name: str) -> str:
    """A zip member's name as a part name: ``/`` however the writer separated it,
    without a leading ``/``, in lower case (OOXML part names ignore case)."""
    return name.replace("\\", "/").lstrip("/").lower()


def _sniff_zip(path: Path) -> Sniffed:
    damaged = "is a damaged zip file (the container of .xlsx, .xlsb and .ods workbooks)"
    try:
        with zipfile.ZipFile(path) as zf:
            parts = {part_name(n): n for n in zf.namelist()}

            def small(name: str) -> bytes | None:
                member = parts.get(name)
                if member is None or zf.getinfo(member).file_size > SMALL_PART:
                    return None
                return zf.read(member)

            mimetype, manifest, rels = small("mimetype"), small("meta-inf/manifest.xml"), small("_rels/.rels")
    except zipfile.BadZipFile:
        raise NotATable(damaged, "damaged") from None
    except UnicodeDecodeError:
        raise NotATable(f"{damaged}: a file name in it is not valid text", "damaged") from None
    except (OSError, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
        raise NotATable(f"{damaged} ({type(exc).__name__})", "damaged") from None
    if mimetype is not None and mimetype.strip().startswith(b"application/vnd.oasis.opendocument."):
        if not mimetype.strip().startswith(ODS_MIMETYPE):
            raise NotATable(f"is an OpenDocument {mimetype.strip().rsplit(b'.', 1)[-1].decode('ascii', 'replace')} "
                            "file, not a spreadsheet")
        if manifest is not None and b"encryption-data" in manifest:
            raise NotATable(f"is a password-protected ods workbook: {UNPROTECT}", "protected")
        return Sniffed("ods")
    main = main_part(rels)
    if main is not None and main not in parts:
        main = None
    if (main or "").endswith(".bin") or (main is None and "xl/workbook.bin" in parts):
        return Sniffed("xlsb")
    if (main or "").endswith(".xml") and "word/" not in main and "ppt/" not in main:
        return Sniffed("xlsx")
    if main is None and ("xl/workbook.xml" in parts or any(n.startswith("xl/worksheets/") for n in parts)):
        return Sniffed("xlsx")
    if "word/document.xml" in parts:
        raise NotATable("is a Word document, not a table")
    if "ppt/presentation.xml" in parts:
        raise NotATable("is a PowerPoint presentation, not a table")
    if "content.xml" in parts:
        raise NotATable("is an OpenDocument file without its mimetype: a damaged .ods", "damaged")
    raise NotATable("is a zip archive, not a workbook")


def main_part(rels: bytes | None) -> str | None:
    """The part ``_rels/.rels`` names as the package's main document, as a part name."""
    if not rels:
        return None
    import re

    for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        kind = re.search(rb'\bType\s*=\s*["\']([^"\']*)', tag)
        target = re.search(rb'\bTarget\s*=\s*["\']([^"\']*)', tag)
        if kind and target and kind.group(1).endswith(b"/officeDocument"):
            return part_name(target.group(1).decode("utf-8", "replace"))
    return None


# [MS-CFB]: a compound file's header, FAT and directory, read only as far as the names.
_FREE_OR_END = 0xFFFFFFFA  # sector numbers from here up mark free, end of chain, FAT and DIFAT sectors
_MAX_DIRECTORY_SECTORS = 4096


def _sniff_ole2(path: Path) -> Sniffed:
    """An OLE2 compound file is a legacy .xls when it holds a workbook stream; Office
    also wraps an encrypted .xlsx or .xlsb in one (the package in its
    ``EncryptedPackage`` stream), and a .doc or .ppt is one too. A directory that
    cannot be followed is left to the xls reader, which says what is wrong."""
    names = _ole2_names(path)
    if names is None:
        return Sniffed("xls")
    if "encryptedpackage" in names:
        raise NotATable("is a password-protected workbook (an encrypted Office package, the .xlsx or .xlsb inside it "
                        f"unreadable without the password): {UNPROTECT}", "protected")
    if "workbook" in names or "book" in names:
        return Sniffed("xls")
    if "worddocument" in names:
        raise NotATable("is a Word document (.doc), not a table")
    if "powerpoint document" in names:
        raise NotATable("is a PowerPoint presentation (.ppt), not a table")
    return Sniffed("xls")


def _ole2_names(path: Path) -> set[str] | None:
    """The directory's entry names, lower case, or None where the header or the
    directory's chain cannot be followed."""
    import struct

    try:
        with path.open("rb") as fh:
            header = fh.read(512)
            shift = struct.unpack_from("<H", header, 0x1E)[0]
            if shift not in (9, 12):
                return None
            size = 1 << shift
            per = size // 4
            n_fat, first_dir = struct.unpack_from("<II", header, 0x2C)
            first_difat, n_difat = struct.unpack_from("<II", header, 0x44)
            difat = list(struct.unpack_from("<109I", header, 0x4C))
            sector = first_difat
            for _ in range(min(n_difat, 1 << 16)):
                if sector >= _FREE_OR_END:
                    break
                fh.seek((sector + 1) * size)
                more = struct.unpack(f"<{per}I", fh.read(size))
                difat += more[:-1]
                sector = more[-1]
            fat_sectors = [s for s in difat[:n_fat] if s < _FREE_OR_END]

            def next_sector(s: int) -> int:
                fh.seek((fat_sectors[s // per] + 1) * size + (s % per) * 4)
                return struct.unpack("<I", fh.read(4))[0]

            names: set[str] = set()
            sector, hops = first_dir, 0
            while sector < _FREE_OR_END and hops < _MAX_DIRECTORY_SECTORS:
                fh.seek((sector + 1) * size)
                block = fh.read(size)
                for at in range(0, len(block) - 127, 128):
                    length, kind = struct.unpack_from("<HB", block, at + 64)
                    if kind in (1, 2, 5) and 2 <= length <= 64 and length % 2 == 0:
                        names.add(block[at: at + length - 2].decode("utf-16-le", "replace").lower())
                sector = next_sector(sector)
                hops += 1
            return names
    except (struct.error, OSError, IndexError, ValueError):
        return None


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

