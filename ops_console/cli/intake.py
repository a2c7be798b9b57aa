"""`ops-console ingest FILE... [--json]` and `ops-console ingest --watch DIR [--once]`.

A machine feed: runs as the system, no operator needed. Exit status: 0 everything taken in;
1 some orders set aside or in conflict; 2 nothing could be done for a file (unreadable, the
database unusable). `--json` prints exactly one object, the error included. `--watch` runs until
SIGINT (exit 130) or SIGTERM (exit 143), its own handlers installed even when SIGINT started
ignored (a background job).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, err_console, fail, guarded, print_json, state
from ops_console.i18n import t

if TYPE_CHECKING:
    from ops_console.services.intake import FileReport, IngestSummary

MAX_LINES = 30  # problems shown per kind; the quarantine file has them all
_COLUMNS = ("received", "new", "duplicate", "conflict", "rejected", "rejected_rows")


def register(app: typer.Typer) -> None:
    @app.command("ingest", help=t("cli.ingest.help"))
    @guarded
    def ingest_cmd(
        files: Annotated[list[Path] | None, typer.Argument(help=t("cli.ingest.files"), show_default=False)] = None,
        watch_dir: Annotated[Path | None, typer.Option("--watch", help=t("cli.ingest.watch"))] = None,
        once: Annotated[bool, typer.Option("--once", help=t("cli.ingest.once"))] = False,
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
        poll: Annotated[float, typer.Option("--poll", help=t("cli.ingest.poll"), min=0.1)] = 2.0,
    ) -> None:
        from ops_console.services.intake import FileReport, IngestSummary, database_error, ingest
        from ops_console.services.intake_watch import watch

        if bool(files) == bool(watch_dir):
            fail(t("cli.ingest.files_or_watch"), 2)
        try:
            ctx = state.ctx()
        except Exception as exc:
            # The database cannot even be opened: still one answer per file, and exit 2.
            error = database_error(exc, state.db_label())
            if error is None:
                raise
            named = files or [watch_dir] if watch_dir else files or []
            failed = IngestSummary([FileReport(str(f), error=error) for f in named])
            _show(failed, as_json)
            raise typer.Exit(2) from None
        if watch_dir is None:
            summary = ingest(ctx, files or [])
            _show(summary, as_json)
            raise typer.Exit(summary.exit_code)

        summary = IngestSummary()

        def one(report: FileReport, moved: Path | None) -> None:
            if moved is None and report.busy:  # left in place, tried again later
                if as_json:
                    print_json({"file": report.path, "retry": True, "error": report.error})
                else:
                    err_console.print(f"[yellow]…[/] {escape(report.error or '')}")
                return
            summary.files.append(report)
            if as_json:
                print_json({"file": report.path, "moved_to": str(moved) if moved else None,
                            **IngestSummary([report]).as_dict()})  # fmt: skip
            else:
                _show(IngestSummary([report]), False)
                if moved is not None:
                    console.print(t("cli.ingest.moved", file=escape(report.path), to=escape(str(moved))))

        if not once and not as_json:
            err_console.print(t("cli.ingest.watching", folder=escape(str(watch_dir)), seconds=f"{poll:g}"))
        from ops_console.services.intake_files import IntakeFileError

        code: int | None = None
        try:
            with _stop_on_signals():
                watch(ctx, watch_dir, once=once, poll_seconds=poll, on_report=one)
        except IntakeFileError as exc:
            fail(exc.message(), 2)
        except _Signalled as stop:
            code = stop.code
            if not as_json:
                err_console.print(t("cli.ingest.stopped", files=len(summary.files)))
        raise typer.Exit(code if code is not None else summary.exit_code)


class _Signalled(BaseException):
    """Raised from the signal handler, so a sleep or a check in progress ends at once."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGINT → exit 130, SIGTERM → 143, whatever the dispositions were at start (SIG_IGN in a
    background job); the previous handlers come back afterwards. Stopping mid-file is safe: a
    file is one transaction, and quarantine copies and moves are atomic."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only delivered to the main thread; nothing to install
        return

    def stop(signum: int, _frame: object) -> None:
        raise _Signalled(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _show(summary: IngestSummary, as_json: bool) -> None:
    if as_json:
        print_json(summary.as_dict())
        return
    table = Table(header_style="bold")
    table.add_column(t("cli.ingest.col.file"))
    for name in _COLUMNS:
        table.add_column(t(f"cli.ingest.col.{name}"), justify="right")
    table.add_column(t("cli.ingest.col.quarantine"))
    for f in summary.files:
        table.add_row(escape(Path(f.path).name), *(_cell(name, getattr(f, name)) for name in _COLUMNS),
                      escape(f.quarantine or ""))  # fmt: skip
    if len(summary.files) > 1:
        table.add_row(t("cli.ingest.total"), *(_cell(name, summary.total(name)) for name in _COLUMNS), "",
                      style="bold")  # fmt: skip
    console.print(table)
    statuses: dict[str, int] = {}
    for f in summary.files:
        for status, n in f.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    if statuses:
        console.print(t("cli.ingest.statuses", statuses=", ".join(
            f"{t(f'status.{s}')} {n}" for s, n in sorted(statuses.items()))))  # fmt: skip
    for f in summary.files:
        if f.error:
            err_console.print(f"[bold red]✗[/] {escape(f.error)}")
        _lines("[red]✗[/]", f.problems, f)
        _lines("[red]≠[/]", f.conflicts, f)
        _lines("[yellow]![/]", f.warnings, f)


def _cell(name: str, value: int) -> str:
    if value and name in ("conflict", "rejected", "rejected_rows"):
        return f"[red]{value}[/]"
    return str(value)


def _lines(mark: str, lines: list[str], report: FileReport) -> None:
    for line in lines[:MAX_LINES]:
        err_console.print(f"{mark} {escape(line)}")
    if len(lines) > MAX_LINES:
        err_console.print(t("cli.ingest.more", n=len(lines) - MAX_LINES, file=escape(report.quarantine or report.path)))
