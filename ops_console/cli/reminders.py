"""`ops-console watch [--once] [--json]` and `ops-console reminders list|ack`."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, err_console, guarded, local_time, print_json, state
from ops_console.i18n import t

if TYPE_CHECKING:
    from ops_console.services.context import AppContext

_MARK = {"raised": "▲", "re_raised": "△", "acknowledged": "✓", "closed": "▽"}
_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def register(app: typer.Typer) -> None:
    @app.command("watch", help=t("cli.watch.help"))
    @guarded
    def watch(
        once: Annotated[bool, typer.Option("--once", help=t("cli.watch.once"))] = False,
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.watch.json"))] = False,
    ) -> None:
        from ops_console.services.reminders import ReminderChange

        ctx = state.ctx()
        lock = threading.Lock()

        def show(changes: list[ReminderChange]) -> None:
            with lock:
                for change in changes:
                    _print_change(change, as_json)
                sys.stdout.flush()

        if once:
            from ops_console.services.scheduler import run_all_checks

            show(run_all_checks(ctx))  # the reminder and the anomaly checks, as the scheduler runs them
            return

        stopped = _stop_on_signals()  # before saying "started": a signal right after it is ours
        if not as_json:
            err_console.print(t("cli.watch.started", seconds=ctx.settings.reminders.check_seconds,
                                url=ctx.engine.url.render_as_string(hide_password=True)))
        code = _watch_until_stopped(ctx, show, stopped)
        if code == 0:
            return
        sys.stdout.flush()
        sys.stderr.flush()
        raise typer.Exit(code)

    rem = typer.Typer(help=t("cli.reminders.help"), no_args_is_help=True)
    app.add_typer(rem, name="reminders")

    @rem.command("list", help=t("cli.reminders.list.help"))
    @guarded
    def list_(
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
        include_closed: Annotated[bool, typer.Option("--all", help=t("cli.reminders.all"))] = False,
    ) -> None:
        from ops_console.services.reminders import list_reminders

        ctx = state.ctx()
        rows = list_reminders(ctx, include_closed=include_closed)
        if as_json:
            print_json([r.to_json() | {"acknowledged_by_name": r.acknowledged_by_name} for r in rows])
            return
        if not rows:
            console.print(t("reminders.none"))
            return
        table = Table(header_style="bold")
        for key in ("col.id", "reminders.col.severity", "reminders.col.kind", "reminders.col.status",
                    "reminders.col.raised_at", "reminders.col.count", "reminders.col.acknowledged",
                    "reminders.col.message"):
            table.add_column(t(key))
        for r in rows:
            ack = f"{r.acknowledged_by_name or r.acknowledged_by} {local_time(ctx, r.acknowledged_at, '%H:%M')}" \
                if r.acknowledged_by else ""
            table.add_row(
                str(r.id),
                f"[{_STYLE.get(r.severity, '')}]{t(f'reminders.severity.{r.severity}')}[/]",
                r.title(),
                t(f"reminders.status.{r.status}"),
                local_time(ctx, r.raised_at, "%m-%d %H:%M"),
                str(r.raise_count),
                escape(ack),
                escape(r.message()),
            )
        console.print(table)

    @rem.command("ack", help=t("cli.reminders.ack.help"))
    @guarded
    def ack(reminder_id: Annotated[int, typer.Argument(help=t("cli.reminders.arg.id"))]) -> None:
        from ops_console.services.reminders import acknowledge

        view = acknowledge(state.ctx(), reminder_id, state.actor())
        console.print(t("reminders.acknowledged", id=view.id, message=escape(view.message())))


_NAP = 0.1  # seconds: how often the main thread looks at the stop flag (a signal is handled within this)


def _say(key: str, **params: object) -> None:
    err_console.print(f"[bold red]✗[/] {escape(t(key, **params))}")


def _stop_on_signals() -> list[int]:
    """Our own SIGINT/SIGTERM handlers (even when SIGINT was ignored at start); the list they fill
    with the exit status is what the watch loop looks at."""
    stopped: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopped.append(130 if signum == signal.SIGINT else 143)  # only a flag: safe in a handler

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    return stopped


def _watch_until_stopped(ctx: AppContext, show: Callable[[list[Any]], None], stopped: list[int]) -> int:
    """`watch` without --once: run the checks every `reminders.check_seconds` until a signal or a
    database that cannot be used any more. Returns the exit status: 130 after SIGINT (Ctrl+C), 143
    after SIGTERM, 2 when the database file is gone, replaced or read-only.

    The checks run in a worker thread while the main thread only naps and looks at a flag set by
    our own SIGINT/SIGTERM handlers (installed here, so they work even when the shell started us with
    SIGINT ignored, as `nohup … &` does): a signal is answered within a fraction of a second even
    while a check waits on a busy database. A worker still inside SQLite then is abandoned: its
    transaction never commits, so nothing half-done is left."""
    from ops_console.services.scheduler import ReminderRunner
    from ops_console.storage.db import DatabaseFileGuard, is_busy_error, is_unwritable_error

    guard = DatabaseFileGuard(ctx.engine)
    runner = ReminderRunner(ctx)
    interval = ctx.settings.reminders.check_seconds
    backoff = 1.0
    worker: threading.Thread | None = None

    def nap(seconds: float) -> bool:
        """Sleep in short naps; True when a signal asked us to stop."""
        for _ in range(max(1, round(seconds / _NAP))):
            if stopped:
                return True
            time.sleep(_NAP)
        return bool(stopped)

    def finish(code: int) -> int:
        _say("cli.watch.stopped_signal" if code in (130, 143) else "cli.watch.stopped", code=code)
        if worker is not None and worker.is_alive():
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)  # the check is stuck in the database: do not wait for it (it commits nothing)
        return code

    while not stopped:
        problem = guard.problem()
        if problem is not None:
            _say(problem, file=str(guard.path))
            return finish(2)
        outcome: dict[str, Any] = {}
        done = threading.Event()
        worker = threading.Thread(target=_check, args=(runner, outcome, done), name="watch-checks", daemon=True)
        worker.start()
        while not done.wait(_NAP):
            if stopped:
                return finish(stopped[0])
        exc = outcome.get("error")
        if exc is None:
            backoff = 1.0
            if outcome.get("changes"):
                show(outcome["changes"])
            if nap(interval):
                break
            continue
        problem = guard.problem()
        if problem is not None or is_unwritable_error(exc):
            _say(problem or "cli.watch.unwritable", file=str(guard.path), error=_first_line(exc))
            return finish(2)
        if is_busy_error(exc):
            wait = min(backoff, float(interval))
            _say("cli.watch.busy", seconds=f"{wait:g}")
            backoff = min(backoff * 2, 60.0)
            if nap(wait):
                break
            continue
        _say("reminders.run_failed", error=_first_line(exc))
        if nap(interval):
            break
    return finish(stopped[0]) if stopped else 0


def _check(runner: Any, outcome: dict[str, Any], done: threading.Event) -> None:
    try:
        outcome["changes"] = runner.tick()
    except Exception as exc:  # noqa: BLE001 - judged by the watch loop
        outcome["error"] = exc
    finally:
        done.set()


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _print_change(change: object, as_json: bool) -> None:
    from ops_console.services.reminders import ReminderChange

    assert isinstance(change, ReminderChange)
    if as_json:
        print_json(change.to_json())
        return
    r = change.reminder
    ctx = state.ctx()
    when = local_time(ctx, change.at, "%Y-%m-%d %H:%M:%S")
    style = _STYLE.get(r.severity, "")
    count = f" {t('reminders.times_raised', count=r.raise_count)}" if change.change == "re_raised" else ""
    line = (f"{when} {_MARK.get(change.change, '·')} #{r.id} [{style}]{t(f'reminders.severity.{r.severity}')}[/] "
            f"{escape(t(f'reminders.change.{change.change}'))}{escape(count)} · {escape(r.title())}: "
            f"{escape(r.message())}")
    console.print(line, soft_wrap=True)
