"""`ops-console replenish place|verify|cancel|list`: store replenishment orders (seed 004)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, fail, guarded, local_time, print_json, state
from ops_console.domain.money import fen_to_yuan
from ops_console.i18n import t

RefArg = Annotated[str, typer.Argument(help=t("cli.replenish.arg.ref"))]


def _items(items: list[str]) -> dict[str, float]:
    """`SKU=QTY` arguments; a SKU named twice adds up."""
    out: dict[str, float] = {}
    for item in items:
        sku, sep, qty = item.partition("=")
        try:
            value = float(qty)
        except ValueError:
            value = float("nan")
        if not sep or not sku.strip() or value != value or value in (float("inf"), float("-inf")):
            fail(t("replenish.bad_item", item=item), 2)
        out[sku.strip()] = out.get(sku.strip(), 0) + value
    return out


def _done(view: object) -> None:
    from ops_console.services.replenishment import ReplView

    assert isinstance(view, ReplView)
    rules = f" ({', '.join(t(f'anomalies.rule.{r}') for r in view.anomalies)})" if view.anomalies else ""
    console.print(escape(t("replenish.done", order=view.order_no, store=view.store_id, amount=fen_to_yuan(view.amount),
                           status=t(f"replenish.status.{view.status}"), rules=rules)))


def register(app: typer.Typer) -> None:
    rp = typer.Typer(help=t("cli.replenish.help"), no_args_is_help=True)
    app.add_typer(rp, name="replenish")

    @rp.command("place", help=t("cli.replenish.place.help"))
    @guarded
    def place(store: Annotated[str, typer.Argument(help=t("cli.replenish.arg.store"))],
              items: Annotated[list[str], typer.Argument(help=t("cli.replenish.arg.items"))],
              as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        from ops_console.services import replenishment_intake

        lines = _items(items)
        view = replenishment_intake.place(state.ctx(), store, lines, state.actor())
        if as_json:
            print_json(view.to_json())
        else:
            _done(view)

    @rp.command("verify", help=t("cli.replenish.verify.help"))
    @guarded
    def verify(ref: RefArg, note: Annotated[str, typer.Option("--note", help=t("cli.opt.note"))] = "") -> None:
        from ops_console.services import replenishment

        _done(replenishment.verify(state.ctx(), ref, state.actor(), note))

    @rp.command("cancel", help=t("cli.replenish.cancel.help"))
    @guarded
    def cancel(ref: RefArg, reason: Annotated[str, typer.Option("--reason", help=t("cli.opt.reason_text"))] = "",
               ) -> None:
        from ops_console.services import replenishment

        _done(replenishment.cancel(state.ctx(), ref, state.actor(), reason))

    @rp.command("list", help=t("cli.replenish.list.help"))
    @guarded
    def list_(status: Annotated[str | None, typer.Option("--status", help=t("cli.replenish.opt.status"))] = None,
              store: Annotated[str | None, typer.Option("--store", help=t("cli.replenish.opt.store"))] = None,
              as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        from ops_console.services.replenishment import list_replenishment

        ctx = state.ctx()
        rows = list_replenishment(ctx, status=status, store_id=store)
        if as_json:
            print_json([r.to_json() for r in rows])
            return
        if not rows:
            console.print(t("replenish.none"))
            return
        table = Table(header_style="bold")
        for key in ("replenish.col.order", "replenish.col.store", "anomalies.col.status", "replenish.col.amount", "col.at", "replenish.col.lines",
                    "replenish.col.anomalies"):
            table.add_column(t(key))
        for r in rows:
            table.add_row(r.order_no, r.store_id, t(f"replenish.status.{r.status}"), fen_to_yuan(r.amount),
                          local_time(ctx, r.placed_at, "%m-%d %H:%M"),
                          escape(", ".join(f"{sku}×{qty:g}" for sku, qty in r.lines)),
                          escape(", ".join(t(f"anomalies.rule.{x}") for x in r.anomalies)))
        console.print(table)
