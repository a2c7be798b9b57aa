"""`ops-console cash show|float|compensate|handin`: the courier cash ledger."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, fail, guarded, print_json, state
from ops_console.domain.money import MoneyError, fen_to_yuan, yuan_to_fen
from ops_console.i18n import t

Courier = Annotated[str, typer.Argument(help=t("cli.arg.courier_id"))]


def _fen(text: str, option: str) -> int:
    try:
        return yuan_to_fen(text)
    except MoneyError as exc:
        fail(t("cli.bad_amount", option=option, value=text, error=str(exc)), 2)


def register(app: typer.Typer) -> None:
    cash = typer.Typer(help=t("cli.cash.help"), no_args_is_help=True)
    app.add_typer(cash, name="cash")

    @cash.command("show", help=t("cli.cash.show.help"))
    @guarded
    def show(
        day: Annotated[str | None, typer.Option("--date", help=t("cli.opt.business_date"))] = None,
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
    ) -> None:
        from ops_console.services.cash import business_date, cash_day

        ctx = state.ctx()
        if day is not None:
            try:
                day = date.fromisoformat(day).isoformat()
            except ValueError:
                fail(t("cli.bad_date", value=day), 2)
        day = day or business_date(ctx.settings, ctx.clock.now())
        lines = cash_day(ctx, day)
        if as_json:
            print_json({"date": day, "couriers": [line.to_json() for line in lines]})
            return
        if not lines:
            console.print(t("cash.none", date=day))
            return
        table = Table(title=t("cash.title", date=day), header_style="bold")
        table.add_column(t("col.id"))
        table.add_column(t("col.name"))
        table.add_column(t("cash.col.tier"))
        for key in ("float", "cod", "refunds", "compensation", "expected", "handed_in", "outstanding"):
            table.add_column(t(f"cash.col.{key}"), justify="right")
        for line in lines:
            table.add_row(line.courier_id, escape(line.name), t(f"tier.{line.tier}") if line.tier else "",
                          *(fen_to_yuan(x) for x in (line.float, line.cod_collected, line.refunds_paid,
                                                     line.compensation, line.expected, line.handed_in,
                                                     line.outstanding)))
        table.add_row(t("cash.total"), "", "", *(fen_to_yuan(sum(getattr(x, a) for x in lines)) for a in (
            "float", "cod_collected", "refunds_paid", "compensation", "expected", "handed_in", "outstanding")))
        console.print(table)

    @cash.command("float", help=t("cli.cash.float.help"))
    @guarded
    def float_(
        courier: Courier,
        amount: Annotated[str | None, typer.Option("--amount", help=t("cli.opt.cash_amount"))] = None,
    ) -> None:
        from ops_console.services.cash import issue_float

        value = issue_float(state.ctx(), courier, state.actor(),
                            _fen(amount, "--amount") if amount is not None else None)
        console.print(t("cash.float_issued", courier=courier, amount=fen_to_yuan(value)))

    @cash.command("compensate", help=t("cli.cash.compensate.help"))
    @guarded
    def compensate(
        courier: Courier,
        amount: Annotated[str, typer.Option("--amount", help=t("cli.opt.cash_amount"))],
        text: Annotated[str, typer.Option("--text", help=t("cli.opt.compensation_text"))],
        order: Annotated[str | None, typer.Option("--order", help=t("cli.opt.order_ref"))] = None,
    ) -> None:
        from ops_console.services.cash import record_compensation

        fen = _fen(amount, "--amount")
        record_compensation(state.ctx(), courier, fen, text, state.actor(), order_ref=order)
        console.print(t("cash.compensation_booked", courier=courier, amount=fen_to_yuan(fen)))

    @cash.command("handin", help=t("cli.cash.handin.help"))
    @guarded
    def handin(
        courier: Courier,
        amount: Annotated[str, typer.Option("--amount", help=t("cli.opt.cash_amount"))],
    ) -> None:
        from ops_console.services.cash import hand_in

        fen = _fen(amount, "--amount")
        line = hand_in(state.ctx(), courier, fen, state.actor())
        console.print(t("cash.handed_in", courier=courier, amount=fen_to_yuan(fen),
                        outstanding=fen_to_yuan(line.outstanding)))
