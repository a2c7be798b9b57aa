"""`ops-console stores|couriers|skus import FILE` and `… list [--json]`.

Imports act as the system on an empty database, as the named supervisor once operators exist.
The `couriers` group is created here; other modules add their commands to it with `group()`
(e.g. `couriers on|off`), so there is one group per name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, err_console, fail, guarded, print_json, state
from ops_console.i18n import t
from ops_console.services.errors import ServiceError

_GROUPS: dict[str, typer.Typer] = {}

# What each list shows: (column, how to show the value).
_STORE_COLS: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("store_id", str), ("name", str), ("kind", str), ("phone", str),
    ("active", lambda v: "✓" if v else "—"), ("keywords", lambda v: " | ".join(v)),
)  # fmt: skip
_COURIER_COLS: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("courier_id", str), ("name", str), ("tier", lambda v: t(f"tier.{v}")), ("store_id", lambda v: v or ""),
    ("phone", str), ("capacity", str), ("active", lambda v: "✓" if v else "—"),
    ("on_duty", lambda v: "✓" if v else "—"),
)  # fmt: skip
_SKU_COLS: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("sku", str), ("name", str), ("category", str), ("unit", str), ("step", str), ("unit_price", str),
    ("stock", str), ("weight_g", lambda v: "" if v is None else str(v)),
)  # fmt: skip


def group(name: str) -> typer.Typer:
    """The Typer group `stores` / `couriers` / `skus` (created by `register`)."""
    return _GROUPS[name]


def register(app: typer.Typer) -> None:
    from ops_console.services import masterdata as md

    kinds: tuple[tuple[str, Callable[..., Any], Callable[[Any], list[dict[str, Any]]], tuple[Any, ...]], ...] = (
        ("stores", md.import_stores, md.list_stores, _STORE_COLS),
        ("couriers", md.import_couriers, md.list_couriers, _COURIER_COLS),
        ("skus", md.import_skus, md.list_skus, _SKU_COLS),
    )
    for name, importer, lister, cols in kinds:
        sub = typer.Typer(help=t(f"cli.{name}.help"), no_args_is_help=True)
        app.add_typer(sub, name=name)
        _GROUPS[name] = sub
        _add_commands(sub, name, importer, lister, cols)
    _add_duty(_GROUPS["couriers"])


def _add_duty(sub: typer.Typer) -> None:
    """`couriers on|off ID…`: who may be dispatched now, entered as an operator."""

    def duty(on_duty: bool) -> Callable[..., None]:
        @guarded
        def _cmd(courier_ids: Annotated[list[str], typer.Argument(help=t("cli.arg.courier_id"))]) -> None:
            from ops_console.services.couriers import set_on_duty

            ctx, actor = state.ctx(), state.actor()
            failed = 0
            for courier_id in courier_ids:
                try:
                    c = set_on_duty(ctx, courier_id, on_duty, actor)
                except ServiceError as exc:
                    failed += 1
                    err_console.print(f"[red]✗[/] {courier_id}: {escape(exc.message)}")
                    continue
                console.print(t("cli.couriers.duty_done", id=c.id, name=c.name,
                                state=t("cli.couriers.on" if c.on_duty else "cli.couriers.off")))
            if failed:
                raise typer.Exit(1)

        return _cmd

    sub.command("on", help=t("cli.couriers.on.help"))(duty(True))
    sub.command("off", help=t("cli.couriers.off.help"))(duty(False))


def _add_commands(sub: typer.Typer, name: str, importer: Callable[..., Any],
                  lister: Callable[[Any], list[dict[str, Any]]], cols: tuple[Any, ...]) -> None:  # fmt: skip
    @sub.command("import", help=t(f"cli.{name}.import.help"))
    @guarded
    def import_(file: Annotated[Path, typer.Argument(help=t("cli.arg.csv_file"))]) -> None:
        from ops_console.services.intake_files import IntakeFileError

        try:
            result = importer(state.ctx(), file, state.master_data_actor())
        except IntakeFileError as exc:
            fail(exc.message())
        for line in result.errors:
            err_console.print(f"[red]✗[/] {escape(line)}")
        for line in result.warnings:
            err_console.print(f"[yellow]![/] {escape(line)}")
        console.print(t("cli.masterdata.result", file=escape(str(file)), added=result.added, updated=result.updated,
                        unchanged=result.unchanged, rejected=result.rejected))  # fmt: skip
        if not result.ok:
            raise typer.Exit(1)

    @sub.command("list", help=t(f"cli.{name}.list.help"))
    @guarded
    def list_(as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        rows = lister(state.ctx())
        if as_json:
            print_json(rows)
            return
        table = Table(header_style="bold")
        for col, _show in cols:
            table.add_column(t(f"cli.masterdata.col.{col}"))
        for row in rows:
            table.add_row(*(escape(show(row[col])) for col, show in cols))
        console.print(table)
