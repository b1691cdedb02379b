"""Cells as text, in batches: every format ends as polars frames of String columns.

Each source gives its first rows for finding the header (:meth:`probe`), then the
rows below it in batches (:meth:`batches`): columns ``c0..cN`` (all text, so a
phone keeps its leading zero and an ID number never becomes a float) and ``_row``,
the row number a person sees when opening the file.

- xlsx: python-calamine-plus (calamine, in Rust) streams a sheet's rows out of the
  zipped XML, so memory stays flat in the sheet's size; each batch's cells become
  text exactly as fastexcel's string columns write them (a whole number without
  ".0", a date as "2012-05-06 00:00:00"), so the parser sees one spelling.
- xls (BIFF), xlsb (Excel's binary workbook), ods (LibreOffice, WPS), and an xlsx
  the streaming reader refuses: fastexcel (calamine) with every column read as
  string, in a child process held to a memory bound (:mod:`importers.sandbox`),
  one sheet in memory at a time.
- calamine picks its reader by the file's suffix: a workbook whose name says
  otherwise (an xlsx saved as ``.xls``, an xlsb saved as ``.xlsx``) is read through
  a link named for the format its bytes are (:func:`named_for`).
- CSV / TSV: decoded in Python in chunks cut at record boundaries, re-encoded to
  UTF-8 where needed, each chunk parsed by polars: memory stays flat in file size.
- HTML tables ("xls" files that are web pages): the standard library's
  ``html.parser``, fed in chunks. No extra dependency, it forgives the broken
  markup DMS exports carry, and it streams; lxml would be faster, but these files
  are small (Excel caps them at what a person opens) and lxml adds a C build.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import polars as pl

from importers.limits import (MAX_CELL_CHARS, MAX_COLUMNS, MAX_LINE_BYTES, MAX_ROWS, check_dimension, check_xls, check_zip,
                              sheet_head)
from importers.sniff import NotATable, Sniffed, main_part, part_name

PROBE_ROWS = 40
CHUNK_BYTES = 8 << 20


def column_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _with_rows(df: pl.DataFrame, first_row: int) -> pl.DataFrame:
    return df.with_row_index("_row", offset=first_row).with_columns(pl.col("_row").cast(pl.Int64))


class Source:
    """One table in a file (a sheet of a workbook, or the text itself)."""

    format: str
    encoding: str | None = None
    sheet: str | None = None
    total_rows: int | None = None  # known up front for workbooks

    def probe(self, n: int = PROBE_ROWS) -> list[list[str | None]]:
        raise NotImplementedError

    def batches(self, skip: int, ncols: int, size: int) -> Iterator[pl.DataFrame]:
        """Rows after the first ``skip`` rows, ``size`` at a time."""
        raise NotImplementedError

    def fraction(self) -> float:
        """How much of the file has been read, 0..1."""
        return 0.0


# --- workbooks -------------------------------------------------------------------


class WorkbookSheet(Source):
    """A sheet read whole by fastexcel in a child process (see
    :mod:`importers.sandbox`), handed back as an Arrow file of text columns."""

    def __init__(self, ipc: Path, index: int, name: str, fmt: str, keep) -> None:
        self.ipc = ipc
        self.index = index
        self.sheet = name
        self.format = fmt
        self._keep = keep  # the temporary directory: it lives as long as its sheets
        self._df: pl.DataFrame | None = None
        self._done = 0

    def _frame(self) -> pl.DataFrame:
        if self._df is None:
            try:
                df = pl.read_ipc(self.ipc)
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise NotATable(f"sheet {self.sheet!r} cannot be read ({_first_line(exc)})", "damaged") from None
            if df.height > MAX_ROWS:
                raise NotATable(f"sheet {self.sheet!r} has {df.height:,} rows, past {MAX_ROWS:,}", "too_big")
            self._df = df.rename(dict(zip(df.columns, column_names(df.width))))
            self.total_rows = self._df.height
        return self._df

    def probe(self, n: int = PROBE_ROWS) -> list[list[str | None]]:
        return [list(r) for r in self._frame().head(n).rows()]

    def batches(self, skip: int, ncols: int, size: int) -> Iterator[pl.DataFrame]:
        df = self._frame()
        if df.width < ncols:
            df = df.with_columns(pl.lit(None, pl.String).alias(c) for c in column_names(ncols)[df.width:])
        df = _with_rows(df.select(column_names(ncols)), 1)
        for start in range(skip, df.height, size):
            self._done = min(df.height, start + size)
            yield df.slice(start, size)
        self._df = None  # the sheet is done: let its memory go

    def fraction(self) -> float:
        return self._done / self.total_rows if self.total_rows else 0.0


def _text(value) -> str | None:
    """A streamed cell as fastexcel's string dtype writes it."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is int:
        return str(value)
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is dt.datetime:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if kind is dt.date:
        return value.strftime("%Y-%m-%d 00:00:00")
    return None if value is None else str(value)


def _text_column(name: str, values: tuple) -> pl.Series:
    """One column of streamed cells as text: whole columns of one kind in polars,
    mixed ones cell by cell."""
    kinds = set(map(type, values))
    if kinds == {str}:
        cells = pl.Series(name, values, dtype=pl.String)
        return pl.select(pl.when(cells.str.len_bytes() > 0).then(cells).alias(name)).to_series()
    if kinds == {int}:
        return pl.Series(name, values, dtype=pl.Int64).cast(pl.String)
    if kinds == {dt.date}:
        return pl.Series(name, values, dtype=pl.Date).dt.strftime("%Y-%m-%d 00:00:00")
    if kinds == {dt.datetime}:
        return pl.Series(name, values, dtype=pl.Datetime("us")).dt.strftime("%Y-%m-%d %H:%M:%S")
    return pl.Series(name, [_text(v) for v in values], dtype=pl.String)


class StreamedSheet(Source):
    """An xlsx sheet read a row at a time (python-calamine-plus): a batch of rows in
    memory, never the sheet. Rows come from the sheet's first row, blank ones
    included, so row numbers match what Excel shows."""

    def __init__(self, book, index: int, name: str, total_rows: int | None, keep=None) -> None:
        self.book, self.index, self.sheet = book, index, name
        self.format = "xlsx"
        self.total_rows = total_rows
        self._done = 0
        self._keep = keep  # the link the book was opened through, if it needed one

    def _stream(self):
        from python_calamine_plus import CalamineError

        try:
            for number, row in enumerate(self.book.stream_sheet_by_index(self.index), start=1):
                if number > MAX_ROWS:
                    raise NotATable(f"sheet {self.sheet!r} has more than {MAX_ROWS:,} rows", "too_big")
                if len(row) > MAX_COLUMNS:
                    if any(v not in (None, "") for v in row[MAX_COLUMNS:]):
                        raise NotATable(f"sheet {self.sheet!r} has a row of more than {MAX_COLUMNS:,} cells", "too_big")
                    row = row[:MAX_COLUMNS]  # formatted but empty cells far to the right
                yield row
        except CalamineError as exc:
            raise NotATable(f"sheet {self.sheet!r} cannot be read ({_first_line(exc)})", "damaged") from None
        except BaseException as exc:
            if is_reader_failure(exc):  # a panic in the native reader
                raise NotATable(f"sheet {self.sheet!r} cannot be read ({_first_line(exc)})", "damaged") from None
            raise

    def probe(self, n: int = PROBE_ROWS) -> list[list[str | None]]:
        rows = []
        for row in self._stream():
            rows.append([_text(v) for v in row])
            if len(rows) >= n:
                break
        return rows

    def batches(self, skip: int, ncols: int, size: int) -> Iterator[pl.DataFrame]:
        names = column_names(ncols)
        pending: list = []
        first = skip + 1
        for number, row in enumerate(self._stream(), start=1):
            if number <= skip:
                continue
            pending.append(row)
            if len(pending) >= size:
                self._done = number
                yield self._frame(pending, names, first)
                first += len(pending)
                pending = []
        if pending:
            yield self._frame(pending, names, first)
        self._done = self.total_rows or 0

    @staticmethod
    def _frame(rows: list, names: list[str], first: int) -> pl.DataFrame:
        width = len(names)
        columns = list(zip(*rows))[:width]
        series = [_text_column(name, values) for name, values in zip(names, columns)]
        series += [pl.Series(name, [None] * len(rows), dtype=pl.String) for name in names[len(series):]]
        return _with_rows(pl.DataFrame(series), first)

    def fraction(self) -> float:
        return min(1.0, self._done / self.total_rows) if self.total_rows else 0.0


SUFFIXES = {"xlsx": (".xlsx", ".xlsm", ".xltx", ".xltm"), "xlsb": (".xlsb",), "ods": (".ods",), "xls": (".xls", ".xla")}


def named_for(path: Path, fmt: str, where: Path | None = None):
    """(a path calamine opens as ``fmt``, the temporary directory to keep while it is
    read, or None): the file itself when its suffix says what it is, else a link to
    it named ``book.<fmt>`` in ``where`` (or a new private temporary directory)."""
    import os
    import shutil
    import tempfile

    if path.suffix.lower() in SUFFIXES.get(fmt, ()):
        return path, None
    keep = None
    if where is None:
        keep = tempfile.TemporaryDirectory(prefix="dealerdesk-book-")
        where = Path(keep.name)
    link = where / f"book.{fmt}"
    try:
        os.symlink(path.resolve(), link)
    except OSError:  # no symlinks here (some Windows setups): a copy
        shutil.copyfile(path, link)
    return link, keep


def _sheet_rows(path: Path) -> list[int | None]:
    """Each sheet's last row, from the ``<dimension>`` an xlsx writer puts at the top
    of the sheet (for the progress bar; None where it is missing), after refusing a
    claim past :mod:`importers.limits`. The workbook is found as the readers find
    it, through ``_rels/.rels``, and part names are compared as parts (``\\`` or
    ``/``, any case)."""
    import posixpath
    import xml.etree.ElementTree as ET

    try:
        with zipfile.ZipFile(path) as zf:
            parts = {part_name(n): n for n in zf.namelist()}
            ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                  "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
            rels_part = parts.get("_rels/.rels")
            book = main_part(zf.read(rels_part) if rels_part else None) or "xl/workbook.xml"
            folder, leaf = posixpath.split(book)
            book_rels = parts[posixpath.join(folder, "_rels", leaf + ".rels")]
            rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(zf.read(book_rels))}
            out: list[int | None] = []
            for sheet in ET.fromstring(zf.read(parts[book])).iterfind("m:sheets/m:sheet", ns):
                target = (rels.get(sheet.get(f"{{{ns['r']}}}id"), "") or "").replace("\\", "/")
                member = part_name(target if target.startswith("/") else posixpath.join(folder, target))
                out.append(check_dimension(sheet_head(zf, parts[posixpath.normpath(member)]),
                                           repr(sheet.get("name") or member)))
            return out
    except NotATable:
        raise
    except (KeyError, zipfile.BadZipFile, ET.ParseError, OSError, ValueError, EOFError, zlib.error,
            NotImplementedError):
        return []


def _streamed_sheets(path: Path) -> list[Source] | None:
    """The sheets of an xlsx as streams, or None where the streaming reader cannot
    take the file (then fastexcel reads it whole, in a child process)."""
    try:
        from python_calamine_plus import CalamineError, CalamineWorkbook
    except ImportError:  # pragma: no cover - a dependency of the package
        return None
    rows = _sheet_rows(path)
    named, keep = named_for(path, "xlsx")
    try:
        book = CalamineWorkbook.from_path(str(named))
        names = book.sheet_names
    except (CalamineError, OSError):
        return None
    except BaseException as exc:
        if is_reader_failure(exc):
            return None
        raise
    if not names:
        return None
    return [StreamedSheet(book, i, name, rows[i] if i < len(rows) else None, keep) for i, name in enumerate(names)]


def workbook_sheets(path: Path, sniffed: Sniffed) -> list[Source]:
    """The sheets of a workbook: an xlsx streamed; an xls, xlsb or ods (or an xlsx
    the streaming reader refuses) read whole in a memory-bound child process."""
    if sniffed.format == "xls":
        check_xls(path)
    else:
        check_zip(path, sniffed.format)
    if sniffed.format == "xlsx":
        streamed = _streamed_sheets(path)
        if streamed:
            return streamed
    from importers.sandbox import read_isolated

    keep, sheets = read_isolated(path, sniffed.format)
    if not sheets:
        keep.cleanup()
        raise NotATable(f"is an {sniffed.format} workbook without sheets", "no_rows")
    return [WorkbookSheet(ipc, i, name, sniffed.format, keep) for i, (name, ipc) in enumerate(sheets)]


def is_reader_failure(exc: BaseException) -> bool:
    """A native reader's panic: pyo3_runtime.PanicException derives from
    BaseException (not Exception), so it is known by name."""
    return type(exc).__name__ == "PanicException"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- CSV / TSV --------------------------------------------------------------------


class DelimitedText(Source):
    def __init__(self, path: Path, sniffed: Sniffed, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = path
        self.format = sniffed.format
        self.encoding = sniffed.encoding
        self.delimiter = sniffed.delimiter or ","
        self.chunk_bytes = chunk_bytes
        self._size = max(1, path.stat().st_size)
        self._read = 0

    def _utf8_chunks(self) -> Iterator[bytes]:
        """The file as UTF-8 bytes with every line ending an LF, in chunks that end at
        a record boundary.

        Lines end in CRLF (Windows), LF, or a lone CR (Excel for Mac's "CSV
        (Macintosh)"), and a file may mix them (a CR-only file whose cells hold LF
        line breaks): each becomes one LF, so the probe and polars split the same
        rows whatever wrote the file. A CR that ends a chunk waits for the next one,
        so a CRLF cut in two is still one line end."""
        passthrough = self.encoding in ("utf-8", "utf-8-sig")
        codec = "utf-16" if (self.encoding or "").startswith("utf-16") else (self.encoding or "utf-8")
        decoder = None if passthrough else codecs.getincrementaldecoder(codec)()
        carry = b""
        first = True
        with self.path.open("rb") as fh:
            while True:
                raw = fh.read(self.chunk_bytes)
                self._read += len(raw)
                final = not raw
                data = raw if passthrough else decoder.decode(raw, final=final).encode("utf-8")
                if first:
                    data = data.removeprefix(codecs.BOM_UTF8)
                    first = False
                buf = carry + data
                if final:
                    buf = _lf(buf)
                    if buf.strip():
                        yield buf if buf.endswith(b"\n") else buf + b"\n"
                    return
                held = b"\r" if buf.endswith(b"\r") else b""  # maybe the first half of a CRLF
                buf = _lf(buf[: len(buf) - len(held)])
                cut = _record_boundary(buf)
                if cut <= 0:
                    if len(buf) > MAX_LINE_BYTES:
                        raise NotATable(f"has a line longer than {MAX_LINE_BYTES >> 20} MiB: not a DMS export",
                                        "too_big")
                    carry = buf + held
                    continue
                carry = buf[cut:] + held
                yield buf[:cut]

    def _parse(self, data: bytes, ncols: int) -> pl.DataFrame:
        return pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            separator=self.delimiter,
            schema={c: pl.String for c in column_names(ncols)},
            truncate_ragged_lines=True,
            missing_columns="insert",  # a title line above the header has fewer cells
            quote_char='"',
        )

    def probe(self, n: int = PROBE_ROWS) -> list[list[str | None]]:
        for chunk in self._utf8_chunks():
            text = chunk[: 1 << 20].decode("utf-8", errors="replace")
            rows = []
            try:
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter):
                    rows.append([c if c != "" else None for c in row[:MAX_COLUMNS]])
                    if len(rows) >= n:
                        break
            except csv.Error as exc:
                raise NotATable(f"is {self.format.upper()} text that cannot be split into rows ({exc})",
                                "damaged") from None
            self._read = 0
            return rows
        return []

    def batches(self, skip: int, ncols: int, size: int) -> Iterator[pl.DataFrame]:
        row = 1
        pending: list[pl.DataFrame] = []
        pending_rows = 0
        for chunk in self._utf8_chunks():
            df = _with_rows(self._parse(chunk, ncols), row)
            row += df.height
            if row > MAX_ROWS + 1:
                raise NotATable(f"has more than {MAX_ROWS:,} rows", "too_big")
            if skip:
                df = df.filter(pl.col("_row") > skip)
            pending.append(df)
            pending_rows += df.height
            while pending_rows >= size:
                whole = pl.concat(pending) if len(pending) > 1 else pending[0]
                yield whole.slice(0, size)
                rest = whole.slice(size)
                pending, pending_rows = [rest], rest.height
        if pending_rows:
            yield pl.concat(pending) if len(pending) > 1 else pending[0]

    def fraction(self) -> float:
        return min(1.0, self._read / self._size)


def _lf(buf: bytes) -> bytes:
    """Every line end as LF: CRLF and a lone CR (classic Mac) alike."""
    if b"\r" not in buf:
        return buf
    return buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _record_boundary(buf: bytes) -> int:
    """Just after the last newline that is not inside a quoted field (0: none yet).

    Safe on GBK/GB18030 too, once transcoded: we only ever look at UTF-8 here."""
    end = len(buf)
    while True:
        nl = buf.rfind(b"\n", 0, end)
        if nl < 0:
            return 0
        if buf.count(b'"', 0, nl) % 2 == 0:
            return nl + 1
        end = nl


# --- HTML tables -------------------------------------------------------------------


class _TableRows(HTMLParser):
    """Rows of every <tr> in document order; colspan pads with empty cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str | None]] = []
        self._row: list[str | None] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._cell_chars = 0
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
        elif tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            if self._row is None:
                self._row = []
            if len(self._row) > MAX_COLUMNS:
                raise NotATable(f"has a table row of more than {MAX_COLUMNS:,} cells", "too_big")
            self._close_cell()
            self._cell = []
            self._cell_chars = 0
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.strip().isdigit() else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._close_cell()
        elif tag in ("tr", "table"):
            self._close_row()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
            self._cell_chars += len(data)
            if self._cell_chars > MAX_CELL_CHARS:
                raise NotATable(f"has a table cell longer than {MAX_CELL_CHARS:,} characters", "too_big")

    def _close_cell(self):
        if self._cell is None or self._row is None:
            self._cell = None
            return
        text = " ".join("".join(self._cell).split())
        self._row.append(text or None)
        self._row.extend([None] * (min(self._span, 256) - 1))
        self._cell = None

    def _close_row(self):
        self._close_cell()
        if self._row is not None:
            self.rows.append(self._row)
        self._row = None


class HtmlTable(Source):
    format = "html"

    def __init__(self, path: Path, sniffed: Sniffed) -> None:
        self.path = path
        self.encoding = sniffed.encoding
        self._size = max(1, path.stat().st_size)
        self._read = 0

    def _rows(self) -> Iterator[list[str | None]]:
        parser = _TableRows()
        codec = "utf-16" if (self.encoding or "").startswith("utf-16") else (self.encoding or "utf-8")
        with self.path.open("r", encoding=codec, errors="replace") as fh:
            while chunk := fh.read(1 << 20):
                self._read = fh.buffer.tell()
                parser.feed(chunk)
                yield from parser.rows
                parser.rows.clear()
        parser.close()
        parser._close_row()
        yield from parser.rows

    def probe(self, n: int = PROBE_ROWS) -> list[list[str | None]]:
        out = []
        for row in self._rows():
            out.append(row)
            if len(out) >= n:
                break
        self._read = 0
        return out

    def batches(self, skip: int, ncols: int, size: int) -> Iterator[pl.DataFrame]:
        names = column_names(ncols)
        buf: list[list[str | None]] = []
        row = 0
        first = skip + 1
        for cells in self._rows():
            row += 1
            if row > MAX_ROWS:
                raise NotATable(f"has more than {MAX_ROWS:,} rows", "too_big")
            if row <= skip:
                continue
            buf.append((cells + [None] * ncols)[:ncols])
            if len(buf) >= size:
                yield _with_rows(pl.DataFrame(buf, schema={c: pl.String for c in names}, orient="row"), first)
                first += len(buf)
                buf = []
        if buf:
            yield _with_rows(pl.DataFrame(buf, schema={c: pl.String for c in names}, orient="row"), first)

    def fraction(self) -> float:
        return min(1.0, self._read / self._size)


def open_sources(path: Path, sniffed: Sniffed) -> list[Source]:
    """The tables of a file: each sheet of a workbook, or the one table of a text file."""
    if sniffed.format in ("xlsx", "xlsb", "ods", "xls"):
        return workbook_sheets(path, sniffed)
    if sniffed.format == "html":
        return [HtmlTable(path, sniffed)]
    return [DelimitedText(path, sniffed)]
