"""One file in: sniff -> read -> find the header -> typed rows + rejects -> upsert.

Each file goes in inside one transaction: a refused file, a file that fails
half-way, or an import that is killed or cancelled writes nothing, and the next
run (the merge is idempotent) completes it. A journal row committed before the
transaction starts records the attempt; the transaction closes it.
"""

from __future__ import annotations

import hashlib
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from importers.headers import Header, find_header, kind_of, spelling_table
from importers.insurance import typed_policies
from importers.parse import TYPED_SCHEMA, Reject, _label, typed
from importers.readers import PROBE_ROWS, Source, is_reader_failure, open_sources
from importers.sniff import NotATable, sniff
from store import clock
from store.access import Actor, require_importer
from store.insurance import keep_latest_expiry, merge_policies
from store.audit import record
from store.points import sync_visits
from store.referrals import match_referrals
from store.db import in_transaction, read_session, write_session
from store.ingest import (Ingest, IngestCounts, KnownRows, close_interrupted, finish_import, interrupted_imports,
                          start_import)
from store.settings import get_setting

BATCH_ROWS = 100_000
TYPING_WORKERS = 2  # batches typed at once by the reader (see read_typed)
SWITCH_INTERVAL = 0.0005  # seconds, while a file's reader and writer overlap
KINDS = ("auto", "vehicles", "visits", "insurance")

Progress = Callable[["ProgressReport"], None]


class ImportCancelled(Exception):
    """The person asked to stop; the file's transaction was rolled back."""


@dataclass
class ProgressReport:
    file: str
    fraction: float  # of this file, 0..1
    rows: int  # data rows read so far
    file_index: int = 0
    files: int = 1


@dataclass
class FileResult:
    file: str
    kind: str | None = None
    format: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # blank, totals (合计) and note rows
    rejected: list[Reject] = field(default_factory=list)
    vehicles_created: int = 0
    vehicles_updated: int = 0
    customers_created: int = 0
    refused: str | None = None  # why the whole file was refused
    refused_code: str | None = None  # which kind of refusal (see importers.sniff.NotATable)
    completed_interrupted: bool = False  # an earlier run of this file was killed; this one finished it
    unknown_columns: list[str] = field(default_factory=list)
    store_created: int | None = None  # the id of the store this file's import created
    points_earned: int = 0  # repair orders of members credited (or cancelled ones taken back) by this file
    referrals_matched: int = 0  # referred friends whose new car this file brought (store.referrals)
    labels: dict[str, str | None] = field(default_factory=dict, repr=False)  # field -> its header text
    plate_moves: list = field(default_factory=list)  # store.ingest.PlateMove: a plate moved to a newer car, per row
    vins_elsewhere: int = 0  # rows whose VIN is another store's car, recorded in this store by their plate

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejected})

    def as_dict(self) -> dict:
        out = {
            "file": self.file,
            "kind": self.kind,
            "format": self.format,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "points_earned": self.points_earned,
            "referrals_matched": self.referrals_matched,
            "plate_moves": [m.as_dict() for m in self.plate_moves],
            "vins_elsewhere": self.vins_elsewhere,
            "rejected": [{"row": r.row, "field": r.field, "reason": r.reason, "column": r.column, "value": r.value,
                          "code": r.code} for r in self.rejected],
        }
        if self.refused:
            out["refused"] = self.refused
            out["refused_code"] = self.refused_code
        else:
            out.update(encoding=self.encoding, sheet=self.sheet, skipped=self.skipped,
                       vehicles_created=self.vehicles_created, vehicles_updated=self.vehicles_updated,
                       customers_created=self.customers_created, unknown_columns=self.unknown_columns)
            if self.completed_interrupted:
                out["completed_interrupted"] = True
        return out


def prefetched(items: Iterator, depth: int = 1) -> Iterator:
    """``items``, produced by a thread of their own up to ``depth`` ahead.

    The import reads and validates the next batch (polars, mostly outside the GIL)
    while this thread writes the last one (sqlite3 and psycopg release the GIL
    while the database works): the two overlap instead of taking turns. An error
    in the reader is raised here, at the batch it broke on; stopping early (an
    error in the writer, a cancel) stops the reader at its next batch."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as exc:  # handed over, raised in the consumer
            put((done, exc))
            return
        finally:
            # A generator stopped early is closed here, in the thread it ran in (what it
            # holds open, a connection say, is let go where it was taken).
            close = getattr(items, "close", None)
            if close is not None:
                close()
        put((done, None))

    reader = threading.Thread(target=read, name="import-reader", daemon=True)
    # The writer gives the GIL back around every sqlite3_step; with the default 5 ms
    # switch interval it then waits on the reader's Python work for the rest of a
    # slice. A shorter slice while the two run together keeps the writer going.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    reader.start()
    try:
        while True:
            item, exc = box.get()
            if item is done:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        reader.join()
        sys.setswitchinterval(interval)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def _header_of(sources: Sequence[Source], table: dict[str, str]) -> tuple[Source, Header]:
    for source in sources:
        rows = source.probe(PROBE_ROWS)
        header = find_header(rows, table)
        if header is not None:
            return source, header
    if all(not s.probe(2) for s in sources):
        raise NotATable("has no rows", "no_rows")
    raise NotATable(
        f"no header row found in the first {PROBE_ROWS} rows (looked for columns such as "
        "车牌号, VIN/车架号, 工单号/结算单号 and at least one more known column)", "no_header"
    )


@contextmanager
def reading(fmt: str | None):
    """Whatever the bytes, a file that breaks its reader is a refused file, in one
    line naming its real format and what went wrong, never a traceback: Python's
    own errors (a bad CSV line, bad compressed data, an unknown zip compression),
    the native readers' (calamine's, polars'), and their panics, which derive from
    BaseException and are known by name (pyo3_runtime.PanicException)."""
    try:
        yield
    except NotATable:
        raise
    except MemoryError:
        raise NotATable("needs more memory to read than this machine gives it", "too_big") from None
    except Exception as exc:
        raise NotATable(f"is a damaged {fmt + ' file' if fmt else 'file'} ({type(exc).__name__}: {_one_line(exc)})", "damaged") from None
    except BaseException as exc:
        if not is_reader_failure(exc):
            raise
        raise NotATable(f"is a damaged {fmt + ' file' if fmt else 'file'} (its reader failed: {_one_line(exc)})", "damaged") from None


def read_typed(path: Path, *, kind: str = "auto", today=None, header_spellings=None, repair_types=None,
               batch_rows: int = BATCH_ROWS):
    """Plan a file without touching the database: (result, header, source, iterator
    of (typed frame, rejects, skipped, rows)). Raises :class:`NotATable`."""
    result = FileResult(file=str(path))
    with reading(None):
        sniffed = sniff(path)
    result.format, result.encoding = sniffed.format, sniffed.encoding
    with reading(sniffed.format):
        source, header = _header_of(open_sources(path, sniffed), spelling_table(header_spellings))
    result.sheet = source.sheet
    found = kind_of(header)
    if kind == "auto":
        kind = found
    elif kind == "visits" and "ro_number" not in header.columns:
        raise NotATable("has no RO number column (工单号 / 结算单号): not a visits export", "not_visits")
    elif kind == "insurance" and "policy_number" not in header.columns:
        raise NotATable("has no policy number column (保单号): not an insurance export", "not_insurance")
    elif kind == "vehicles" and not {"plate", "vin"} & set(header.columns):
        raise NotATable("has no plate or VIN column: not a vehicles export", "not_vehicles")
    if kind == "visits" and not {"date_in", "settled_on"} & set(header.columns):
        raise NotATable("is a visits export without a date column (进厂日期 / 结算日期)", "no_date")
    result.kind = kind
    result.unknown_columns = header.unknown
    result.labels = {name: _label(header, name) for name in header.columns}
    day = today or clock.today()
    width = max(header.width, len(header.labels))

    def one(raw: pl.DataFrame, known: KnownRows | None, mark: Callable | None):
        """(typed rows, rejects, rows skipped, the unchanged rows found and their earliest day, or None)."""
        if kind == "insurance":
            return (*typed_policies(raw, header), None)
        found: list = []

        def check(batch: pl.DataFrame):
            out = mark(batch)
            if out is not None:
                found.append((known.unchanged, known.first_day))
            return out

        rows, rejects, skipped = typed(raw, header, kind=kind, today=day, repair_types=repair_types,
                                       known=check if known is not None else None)
        return rows, rejects, skipped, (found[0] if found else None)

    def batches(known: KnownRows | None = None, workers: int = TYPING_WORKERS):
        """Per batch: (typed rows, rejects, rows skipped, raw rows, fraction read, the
        rows ``known`` found unchanged before typing and the earliest day among them:
        None when not looked for).

        ``workers`` batches are typed at once, each in a thread of its own (polars lets
        go of the GIL while it works: the reader alone kept one of two cores busy),
        and handed on in file order. The check for known rows keeps file order too:
        a batch's waits for the batch before it (it needs the ROs passed on so far)."""
        raws = source.batches(header.row + 1, width, batch_rows)
        pending: deque = deque()
        turns: list[threading.Event] = []
        stopping = threading.Event()

        def in_turn(i: int):
            def mark(batch: pl.DataFrame):
                if i:
                    turns[i - 1].wait()
                try:
                    if stopping.is_set():  # the file is being given up: no check, and never two at once
                        return None
                    return known.mark(batch)
                finally:
                    turns[i].set()
            return mark

        def work(i: int, raw: pl.DataFrame):
            try:
                return one(raw, known, in_turn(i) if known is not None else None)
            finally:
                turns[i].set()  # a batch that never reached its check (or broke) lets the next one go

        pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="import-typing")
        try:
            while True:
                with reading(sniffed.format):
                    raw = next(raws, None)
                if raw is not None:
                    if known is not None and not known.file_rows:
                        known.file_rows = int(raw.height / max(source.fraction(), 1e-6))
                    turns.append(threading.Event())
                    pending.append((pool.submit(work, len(turns) - 1, raw), raw.height, source.fraction()))
                while pending and (raw is None or len(pending) >= max(1, workers)):
                    future, height, fraction = pending.popleft()
                    rows, rejects, skipped, unchanged = future.result()
                    yield rows, rejects, skipped, height, fraction, unchanged
                if raw is None:
                    return
        finally:
            stopping.set()
            for future, *_ in pending:
                future.cancel()
            for turn in turns:  # a check waiting on a batch cancelled before it started
                turn.set()
            pool.shutdown(wait=True)
            if known is not None:
                known.close()

    return result, batches


def read_all(path: Path | str, *, kind: str = "auto", today=None, header_spellings=None, repair_types=None,
             batch_rows: int = BATCH_ROWS) -> tuple[FileResult, pl.DataFrame]:
    """A whole file as typed rows, without the database (for checks and benchmarks).
    Raises :class:`NotATable`."""
    result, batches = read_typed(Path(path), kind=kind, today=today, header_spellings=header_spellings,
                                 repair_types=repair_types, batch_rows=batch_rows)
    frames = []
    for rows, rejects, skipped, raw_rows, *_ in batches():
        result.rows += raw_rows - skipped
        result.skipped += skipped
        result.rejected.extend(rejects)
        frames.append(rows)
    return result, (pl.concat(frames) if frames else pl.DataFrame(schema=TYPED_SCHEMA))


def import_file(
    engine: Engine,
    path: Path | str,
    *,
    actor: Actor,
    store_id: int | None,
    store_code: str | None = None,
    kind: str = "auto",
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    batch_rows: int = BATCH_ROWS,
    file_index: int = 0,
    files: int = 1,
) -> FileResult:
    """Import one file into ``store_id``. A refused file comes back with ``refused``
    set and nothing written; it never raises for a bad file. With ``store_id`` None
    (a database without a store), the first file that goes in creates the store
    ``store_code`` (see :func:`import_store`).

    Importing is staff work: ``actor`` must be a store manager, a member specialist
    or the system (:func:`store.access.require_importer`), else AccessDenied is
    raised before the file is opened. A file that goes in writes an audit row in
    its own transaction: who, the file's name and sha256, its kind and counts."""
    require_importer(actor, store_id)
    path = Path(path)
    # The file's digest (for the journal) is taken beside the sniffing and planning.
    hashing = ThreadPoolExecutor(1, thread_name_prefix="import-digest")
    digest_of = hashing.submit(_sha256, path)
    hashing.shutdown(wait=False)
    with read_session(engine) as session:
        spellings = get_setting(session, "header_spellings", store_id=store_id)
        repair_types = get_setting(session, "repair_type_spellings", store_id=store_id)
    try:
        result, batches = read_typed(path, kind=kind, header_spellings=spellings, repair_types=repair_types,
                                     batch_rows=batch_rows)
    except NotATable as exc:
        return FileResult(file=str(path), refused=f"{path}: {exc}", refused_code=exc.code)
    digest = digest_of.result()
    if store_id is None:
        store_id, created = import_store(engine, store_code)
        result.store_created = store_id if created else None
    with write_session(engine) as session:
        earlier = [j.id for j in interrupted_imports(session, store_id=store_id, sha256=digest)]
        journal_id = start_import(session, actor=actor, store_id=store_id, file_name=str(path), sha256=digest,
                                  kind=result.kind, fmt=result.format)

    def work(session) -> FileResult:
        out = FileResult(**{k: getattr(result, k) for k in ("file", "kind", "format", "encoding", "sheet",
                                                             "unknown_columns", "store_created")})
        if out.kind == "insurance":
            return _policies(session, out)
        ingest = Ingest(session, store_id=store_id, kind=out.kind)
        valid = 0
        first_day = None
        asked_to_hold = False
        # Known rows are looked for in the reader's thread, beside the writer's work.
        known = KnownRows(engine, store_id=store_id, kind=out.kind, enabled=ingest.visits_before)
        for rows, rejects, skipped, raw_rows, fraction, found in prefetched(batches(known)):
            if cancelled is not None and cancelled():
                raise ImportCancelled(str(path))
            unchanged, unchanged_from = found if found is not None else (None, None)
            if unchanged and not asked_to_hold:
                asked_to_hold = True
                if unchanged >= rows.height:
                    # Most of the file is known, unchanged: the writer would wait on the reader,
                    # so it takes the store's cars in hand meanwhile (a store no bigger than the file).
                    ingest.hold_store(most_cars=known.file_rows)
            out.skipped += skipped
            out.rows += raw_rows - skipped
            out.rejected.extend(rejects)
            valid += rows.height + (unchanged or 0)
            days = [unchanged_from]
            if "date_in" in rows.columns and rows.height:
                days.append(rows["date_in"].min())
            for day in days:
                first_day = day if first_day is None or (day is not None and day < first_day) else first_day
            ingest.add(rows, unchanged=unchanged)
            if progress is not None:
                progress(ProgressReport(str(path), fraction, out.rows, file_index, files))
        ingest.finish()
        out.vins_elsewhere = ingest.rows_vin_elsewhere
        if out.kind == "vehicles":
            keep_latest_expiry(session, store_id=store_id)
        out.plate_moves = ingest.plate_moves
        if out.kind == "visits" and first_day is not None:
            # Members' points move with their repair orders, in the same transaction:
            # once per RO however often the file comes (see store.points.sync_visits).
            out.points_earned = len(sync_visits(session, store_id=store_id, since=first_day, actor=actor))
        # A referred friend's new car (by the friend's phone) matches the referral, rewarded once.
        out.referrals_matched = len(match_referrals(session, store_id=store_id, actor=actor))
        counts = ingest.summary(valid)
        out.inserted, out.updated, out.unchanged = counts.inserted, counts.updated, counts.unchanged
        out.vehicles_created, out.vehicles_updated = counts.vehicles_created, counts.vehicles_updated
        out.customers_created = counts.customers_created
        finish_import(session, journal_id, rows=out.rows, counts=counts, rejected=out.rejected_rows)
        if earlier:
            close_interrupted(session, earlier, completed_by=journal_id)
            out.completed_interrupted = True
        record(session, actor, "import.file", "importjournal", journal_id, store_id=store_id, detail={
            "file": path.name, "sha256": digest, "kind": out.kind, "format": out.format, "rows": out.rows,
            "inserted": out.inserted, "updated": out.updated, "unchanged": out.unchanged,
            "rejected": out.rejected_rows, "vehicles_created": out.vehicles_created,
            "customers_created": out.customers_created, "points_earned": out.points_earned,
            "referrals_matched": out.referrals_matched,
            "plates_moved": len(out.plate_moves),
        })
        return out

    def _policies(session, out: FileResult) -> FileResult:
        """An insurance export: policies merged by number, the cars' expiries moved."""
        rows: list[dict] = []
        for frame, rejects, skipped, raw_rows, fraction, _ in prefetched(batches()):
            if cancelled is not None and cancelled():
                raise ImportCancelled(str(path))
            out.skipped += skipped
            out.rows += raw_rows - skipped
            out.rejected.extend(rejects)
            rows.extend(frame.to_dicts())
            if progress is not None:
                progress(ProgressReport(str(path), fraction, out.rows, file_index, files))
        counts, unknown = merge_policies(session, store_id=store_id, rows=rows, actor=actor)
        out.rejected.extend(Reject(row=row, field=f, column=result.labels.get(f), value=value, reason=reason,
                                   code="vehicle_unknown") for row, f, value, reason in unknown)
        out.rejected.sort(key=lambda r: r.row)
        out.inserted, out.updated, out.unchanged = counts.inserted, counts.updated, counts.unchanged
        finish_import(session, journal_id, rows=out.rows, counts=IngestCounts(
            inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged), rejected=out.rejected_rows)
        if earlier:
            close_interrupted(session, earlier, completed_by=journal_id)
            out.completed_interrupted = True
        record(session, actor, "import.file", "importjournal", journal_id, store_id=store_id, detail={
            "file": path.name, "sha256": digest, "kind": out.kind, "format": out.format, "rows": out.rows,
            "inserted": out.inserted, "updated": out.updated, "unchanged": out.unchanged,
            "rejected": out.rejected_rows,
        })
        return out

    try:
        final = in_transaction(engine, work)
    except ImportCancelled:
        raise
    except (NotATable, pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        # A file that breaks half-way is refused whole: the transaction wrote nothing.
        return FileResult(file=str(path), format=result.format, kind=result.kind, refused_code="broken",
                          refused=f"{path}: cannot be read to the end ({_one_line(exc)})")
    except DBAPIError as exc:
        return FileResult(file=str(path), format=result.format, kind=result.kind, refused_code="database",
                          refused=f"{path}: the database refused it, nothing was written ({_one_line(exc.orig or exc)})")
    if progress is not None:
        progress(ProgressReport(str(path), 1.0, final.rows, file_index, files))
    return final


@dataclass
class StoreSummary:
    """One store's share of a group's load (``dealerdesk import DIR --store-per-folder``)."""

    store: str
    files: int = 0
    refused: int = 0
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    vehicles_created: int = 0
    customers_created: int = 0

    def add(self, result: FileResult) -> None:
        self.files += 1
        if result.refused:
            self.refused += 1
            return
        self.rows += result.rows
        self.inserted += result.inserted
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.rejected += result.rejected_rows
        self.vehicles_created += result.vehicles_created
        self.customers_created += result.customers_created

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def by_store(results: Sequence[tuple[str, FileResult]]) -> list[StoreSummary]:
    """Each store's files added up, in the order the stores first appear."""
    stores: dict[str, StoreSummary] = {}
    for code, result in results:
        stores.setdefault(code, StoreSummary(code)).add(result)
    return list(stores.values())


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split())[:200] if text else type(exc).__name__


def import_store(engine: Engine, code: str | None = None) -> tuple[int, bool]:
    """(store id, created) for an import: the store named ``code`` (or the only one);
    an empty database gets its first store. Raises StoreNotFound otherwise."""
    from store.ingest import store_for_import

    with write_session(engine) as session:
        return store_for_import(session, code)


def import_files(engine: Engine, paths: Sequence[Path | str], *, actor: Actor, store_id: int | None,
                 store_code: str | None = None, kind: str = "auto", progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None, batch_rows: int = BATCH_ROWS) -> list[FileResult]:
    """Each file on its own: one refused file does not stop the others."""
    results = []
    for i, p in enumerate(paths):
        result = import_file(engine, p, actor=actor, store_id=store_id, store_code=store_code, kind=kind, progress=progress,
                             cancelled=cancelled, batch_rows=batch_rows, file_index=i, files=len(paths))
        store_id = store_id or result.store_created
        results.append(result)
    return results
