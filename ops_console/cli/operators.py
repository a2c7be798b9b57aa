"""`ops-console operators import|add|list|activate|deactivate|set-pin`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, err_console, guarded, print_json, state
from ops_console.i18n import t


def register(app: typer.Typer) -> None:
    ops = typer.Typer(help=t("cli.operators.help"), no_args_is_help=True)
    app.add_typer(ops, name="operators")

    @ops.command("add", help=t("cli.operators.add.help"))
    @guarded
    def add(
        op_id: Annotated[str, typer.Argument(help=t("cli.arg.operator_id"))],
        name: Annotated[str, typer.Argument(help=t("cli.arg.name"))],
        role: Annotated[str, typer.Argument(help=t("cli.arg.role"))],
        pin: Annotated[str | None, typer.Option("--pin", help=t("cli.opt.pin"))] = None,
    ) -> None:
        from ops_console.services.operators import add_operator

        if pin is None:
            pin = typer.prompt(t("cli.prompt.pin"), hide_input=True, confirmation_prompt=True)
        op = add_operator(state.ctx(), op_id, name, role, pin, state.master_data_actor())
        console.print(t("cli.operators.added", id=op.id, name=op.name, role=t(f"role.{op.role}")))

    @ops.command("import", help=t("cli.operators.import.help"))
    @guarded
    def import_(
        file: Annotated[Path, typer.Argument(help=t("cli.arg.csv_file"))],
        reset_pins: Annotated[bool, typer.Option("--reset-pins", help=t("cli.operators.reset_pins"))] = False,
    ) -> None:
        from ops_console.services.operators import import_operators

        result = import_operators(state.ctx(), file, state.master_data_actor(), reset_pins=reset_pins)
        for line in result.errors:
            err_console.print(f"[red]✗[/] {escape(line)}")
        console.print(t("cli.import.result", added=result.added, updated=result.updated, rejected=len(result.errors)))
        if result.pins_kept:
            err_console.print(t("cli.operators.pins_kept", count=result.pins_kept))
        if result.errors:
            raise typer.Exit(1)

    def activation(name: str, active: bool) -> None:
        @ops.command(name, help=t(f"cli.operators.{name}.help"))
        @guarded
        def _cmd(op_id: Annotated[str, typer.Argument(help=t("cli.arg.operator_id"))]) -> None:
            from ops_console.services.operators import set_active

            op = set_active(state.ctx(), op_id, active, state.actor())
            console.print(t("cli.operators.active" if op.active else "cli.operators.inactive", id=op.id, name=op.name))

    activation("activate", True)
    activation("deactivate", False)

    @ops.command("set-pin", help=t("cli.operators.set_pin.help"))
    @guarded
    def set_pin_(
        op_id: Annotated[str, typer.Argument(help=t("cli.arg.operator_id"))],
        new_pin_file: Annotated[Path | None, typer.Option("--new-pin-file", help=t("cli.operators.new_pin_file"))] = None,
    ) -> None:
        from ops_console.cli.common import read_pin_file
        from ops_console.services.operators import set_pin

        actor = state.actor()  # proof first: nobody is asked for a new PIN before proving who they are
        if new_pin_file is not None:
            pin = read_pin_file(new_pin_file)
        else:
            pin = typer.prompt(t("cli.prompt.new_pin"), hide_input=True, confirmation_prompt=True)
        op = set_pin(state.ctx(), op_id, pin, actor)
        console.print(t("cli.operators.pin_set", id=op.id, name=op.name))

    @ops.command("list", help=t("cli.operators.list.help"))
    @guarded
    def list_(as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        from ops_console.services.operators import list_operators

        rows = list_operators(state.ctx())
        if as_json:
            print_json([{"id": o.id, "name": o.name, "role": o.role, "active": o.active,
                         "locked_until": o.locked_until.isoformat() if o.locked_until else None} for o in rows])
            return
        table = Table(header_style="bold")
        for col in ("id", "name", "role", "active"):
            table.add_column(t(f"col.{col}"))
        for o in rows:
            table.add_row(o.id, o.name, t(f"role.{o.role}"), "✓" if o.active else "—")
        console.print(table)
