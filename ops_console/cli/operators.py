"""`ops-console operators import|add|list`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
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
    def import_(file: Annotated[Path, typer.Argument(help=t("cli.arg.csv_file"))]) -> None:
        from ops_console.services.operators import import_operators

        result = import_operators(state.ctx(), file, state.master_data_actor())
        for line in result.errors:
            err_console.print(f"[red]✗[/] {line}")
        console.print(t("cli.import.result", added=result.added, updated=result.updated, rejected=len(result.errors)))
        if result.errors:
            raise typer.Exit(1)

    @ops.command("list", help=t("cli.operators.list.help"))
    @guarded
    def list_(as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        from ops_console.services.operators import list_operators

        rows = list_operators(state.ctx())
        if as_json:
            print_json([{"id": o.id, "name": o.name, "role": o.role, "active": o.active} for o in rows])
            return
        table = Table(header_style="bold")
        for col in ("id", "name", "role", "active"):
            table.add_column(t(f"col.{col}"))
        for o in rows:
            table.add_row(o.id, o.name, t(f"role.{o.role}"), "✓" if o.active else "—")
        console.print(table)
