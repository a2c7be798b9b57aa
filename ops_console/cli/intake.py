"""`ops-console ingest FILE... [--json]` and `ops-console ingest --watch DIR [--once]`.

A machine feed: runs as the system, no operator needed. Exit status 0 only when nothing was
set aside, in conflict or unreadable.
"""

from __future__ import annotations

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
        from ops_console.services.intake import IngestSummary, ingest, watch

        if bool(files) == bool(watch_dir):
            fail(t("cli.ingest.files_or_watch"), 2)
        ctx = state.ctx()
        if watch_dir is None:
            summary = ingest(ctx, files or [])
            _show(summary, as_json)
            raise typer.Exit(0 if summary.ok else 1)

        summary = IngestSummary()

        def one(report: FileReport, moved: Path) -> None:
            summary.files.append(report)
            if as_json:
                print_json({"file": report.path, "moved_to": str(moved),
                            **IngestSummary([report]).as_dict()})  # fmt: skip
            else:
                _show(IngestSummary([report]), False)
                console.print(t("cli.ingest.moved", file=escape(report.path), to=escape(str(moved))))

        if not once and not as_json:
            err_console.print(t("cli.ingest.watching", folder=escape(str(watch_dir)), seconds=f"{poll:g}"))
        from ops_console.services.intake_files import IntakeFileError

        try:
            watch(ctx, watch_dir, once=once, poll_seconds=poll, on_report=one)
        except IntakeFileError as exc:
            fail(exc.message(), 2)
        except KeyboardInterrupt:
            if not as_json:
                err_console.print(t("cli.ingest.stopped", files=len(summary.files)))
        raise typer.Exit(0 if summary.ok else 1)


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
