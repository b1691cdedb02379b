"""Import 导入: DMS exports in from the counter. Type the paths, Enter; the import
runs in a worker with a progress bar (Escape cancels: nothing from the file in
hand is written), then one line per file, a line per plate the file moved to a newer
car (车牌已转出, the first few), and every rejected row with its reason.
ctrl+t switches the kind (auto, vehicles, visits, insurance); ctrl+s saves the rejects as a
workbook beside the first file."""

from __future__ import annotations

import time
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.suggester import Suggester
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static
from textual.worker import get_current_worker

from store.access import AccessDenied, may_import
from tui.safe import esc
from tui.i18n import REFUSALS, REJECT_REASONS, label, language, t
from tui.keys import Header, localize

KINDS = ("auto", "vehicles", "visits", "insurance")
PROGRESS_EVERY_S = 0.1
PLATE_MOVES_SHOWN = 10  # per file; the command line's --format json lists every one


class PathSuggester(Suggester):
    """Shows, greyed, how the last path would complete; Tab or → takes it."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        from importers.paths import complete_path

        return complete_path(value)


class ImportScreen(Screen):
    CSS_PATH = "importer.tcss"
    BINDINGS = [
        # ctrl+t opens a browser's new tab before the page sees it: ctrl+o there.
        Binding("ctrl+t,ctrl+o", "kind", "key.kind", key_display="^t/^o"),
        Binding("ctrl+s", "save_rejects", "key.save_rejects"),
        Binding("escape", "back", "key.back"),
        Binding("tab", "complete", "key.complete_path", priority=True),
    ]

    class Progress(Message):
        """Where the import is; a newer one replaces an older one still queued."""

        def __init__(self, file: str, index: int, files: int, fraction: float, rows: int) -> None:
            super().__init__()
            self.file, self.index, self.files, self.fraction, self.rows = file, index, files, fraction, rows

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ImportScreen.Progress)

    class Finished(Message):
        def __init__(self, results: list) -> None:
            super().__init__()
            self.results = results

    class Cancelled(Message):
        def __init__(self, file: str, results: list) -> None:
            super().__init__()
            self.file = file
            self.results = results

    class Failed(Message):
        def __init__(self, error: str, *, denied: bool = False) -> None:
            super().__init__()
            self.error = error
            self.denied = denied  # the acting staff member may not import

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.kind = "auto"
        self.results: list = []
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("import.title"), classes="section-title")
        yield Input(placeholder=t("import.placeholder"), id="import-path", suggester=PathSuggester())
        yield Static(id="import-hint")
        yield ProgressBar(total=1.0, show_eta=False, id="import-progress")
        yield Static("", id="import-status")
        yield DataTable(id="import-results", cursor_type="row", zebra_stripes=True)
        yield Static(t("import.rejects_title"), classes="section-title")
        yield DataTable(id="import-rejects", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        results = self.query_one("#import-results", DataTable)
        for key in ("file", "kind", "format", "rows", "inserted", "updated", "unchanged", "rejected"):
            results.add_column(t(f"import.col.{key}"), key=key)
        rejects = self.query_one("#import-rejects", DataTable)
        for key in ("file", "row", "column", "reason"):
            rejects.add_column(t(f"import.col.{key}"), key=key)
        self.query_one("#import-progress", ProgressBar).display = False
        self.show_hint()
        self.query_one("#import-path", Input).focus()

    def show_hint(self) -> None:
        self.query_one("#import-hint", Static).update(t("import.hint", kind=t(f"import.kind.{self.kind}")))

    # --- starting ---------------------------------------------------------------------

    @on(Input.Submitted, "#import-path")
    def submitted(self, event: Input.Submitted) -> None:
        if self.running:
            return
        status = self.query_one("#import-status", Static)
        if not may_import(self.app.counter.actor):  # said at once; the store refuses it anyway
            status.update(t("import.denied"))
            return
        from importers.paths import expand_paths

        if not event.value.strip():
            status.update(t("import.no_files"))
            return
        paths, unmatched = expand_paths(event.value)  # files, folders (every file in one), globs
        if unmatched:
            status.update(t("import.missing", path=unmatched[0]))
            return
        self.running = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(progress=0)
        status.update(t("import.running", file=paths[0].name, i=1, n=len(paths), rows=0))
        self.run_import(paths, self.kind)

    @work(thread=True, exclusive=True, group="import")
    def run_import(self, paths: list[Path], kind: str) -> None:
        from importers.pipeline import ImportCancelled, import_file

        worker = get_current_worker()
        results = []
        last = 0.0

        def report(p) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S or p.fraction >= 1.0:
                last = now
                self.post_message(self.Progress(Path(p.file).name, p.file_index, p.files, p.fraction, p.rows))

        try:
            store_id = self.app.counter.store_id
            for i, path in enumerate(paths):
                results.append(import_file(self.app.counter.engine, path, actor=self.app.counter.actor,
                                           store_id=store_id, kind=kind,
                                           progress=report, cancelled=lambda: worker.is_cancelled,
                                           file_index=i, files=len(paths)))
                if results[-1].store_created:  # the database had no store: the first good file made it
                    store_id = self.app.counter.store_id = results[-1].store_created
        except ImportCancelled as exc:
            self.post_message(self.Cancelled(Path(str(exc)).name, results))
            return
        except AccessDenied as exc:
            self.post_message(self.Failed(str(exc), denied=True))
            return
        except Exception as exc:  # a database error is a message, not a crash
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Finished(results))

    # --- what the worker says ------------------------------------------------------------

    def on_import_screen_progress(self, message: Progress) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(progress=(message.index + message.fraction) / max(1, message.files))
        self.query_one("#import-status", Static).update(
            t("import.running", file=message.file, i=message.index + 1, n=message.files, rows=f"{message.rows:,}"))

    def on_import_screen_finished(self, message: Finished) -> None:
        self.done(message.results)

    def on_import_screen_cancelled(self, message: Cancelled) -> None:
        self.done(message.results)
        self.query_one("#import-status", Static).update(t("import.cancelled", file=message.file))

    def on_import_screen_failed(self, message: Failed) -> None:
        self.running = False
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-status", Static).update(
            t("import.denied") if message.denied else t("error.db", e=message.error))

    def done(self, results: list) -> None:
        self.running = False
        self.results = results
        self.query_one("#import-progress", ProgressBar).display = False
        table = self.query_one("#import-results", DataTable)
        table.clear()
        rejects = self.query_one("#import-rejects", DataTable)
        rejects.clear()
        lines = []
        for r in results:
            name = Path(r.file).name
            if r.refused:
                why = (label(REFUSALS, r.refused_code) if language() != "en" and r.refused_code in REFUSALS
                       else r.refused.removeprefix(f"{r.file}: "))
                lines.append(t("import.refused", file=esc(name), why=esc(why)))
                table.add_row(esc(name), "", r.format or "", "", "", "", "", "")
                continue
            table.add_row(esc(name), t(f"import.kind.{r.kind}"), r.format, str(r.rows), str(r.inserted), str(r.updated),
                          str(r.unchanged), str(r.rejected_rows))
            for rej in r.rejected:
                rejects.add_row(esc(name), str(rej.row), esc(rej.column or rej.field), esc(self.reason(rej)))
            for m in r.plate_moves[:PLATE_MOVES_SHOWN]:
                lines.append(t("import.plate_moved", file=esc(name), row=m.row, plate=esc(m.plate),
                               holder=esc(m.holder_vin or t("import.no_vin")),
                               former=esc(m.moved_on_vin or t("import.no_vin"))))
            if len(r.plate_moves) > PLATE_MOVES_SHOWN:
                lines.append(t("import.plate_moves_more", n=len(r.plate_moves) - PLATE_MOVES_SHOWN))
        ok = [r for r in results if not r.refused]
        lines.insert(0, t("import.done", inserted=sum(r.inserted for r in ok), updated=sum(r.updated for r in ok),
                          unchanged=sum(r.unchanged for r in ok), rejected=sum(r.rejected_rows for r in ok)))
        matched = sum(r.referrals_matched for r in ok)
        if matched:
            lines.insert(1, t("import.referrals", n=matched))
        self.query_one("#import-status", Static).update("\n".join(lines))

    @staticmethod
    def reason(reject) -> str:
        if language() == "en" or reject.code not in REJECT_REASONS:
            return reject.reason
        return label(REJECT_REASONS, reject.code).format(value=reject.value)

    # --- keys -------------------------------------------------------------------------------

    def action_complete(self) -> None:
        """Tab in the path box completes the last path (a folder gets its /); elsewhere, next field."""
        from importers.paths import complete_path

        box = self.query_one("#import-path", Input)
        if self.focused is box:
            done = complete_path(box.value)
            if done is not None:
                box.value = done
                box.cursor_position = len(done)
            return
        self.focus_next()

    def action_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self.show_hint()

    def action_save_rejects(self) -> None:
        from importers.rejects import write_rejects

        if not any(r.rejected or r.refused for r in self.results):
            self.notify(t("import.no_rejects"))
            return
        first = Path(self.results[0].file)
        path = first.with_name(f"{first.stem}-rejects.xlsx")
        write_rejects(self.results, path)
        self.notify(t("import.saved", path=path))

    def action_back(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "import")
            return
        self.app.pop_screen()
