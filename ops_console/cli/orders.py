"""`ops-console order show|assign|…`: every lifecycle action from the command line, as an operator."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from ops_console.cli.common import console, fail, guarded, local_time, print_json, state
from ops_console.clock import ClockError, parse_instant
from ops_console.domain.money import MoneyError, cash_fen, fen_to_yuan
from ops_console.domain.phone import mask_phone
from ops_console.domain.types import Action
from ops_console.i18n import t

Ref = Annotated[str, typer.Argument(help=t("cli.arg.order_ref"))]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help=t("cli.opt.reason"))]
TextOpt = Annotated[str | None, typer.Option("--text", help=t("cli.opt.reason_text"))]


def _do(ref: str, action: Action, **params: Any) -> None:
    from ops_console.services.actions import perform

    ctx = state.ctx()
    out = perform(ctx, ref, action, state.actor(), **{k: v for k, v in params.items() if v is not None})
    console.print(t("cli.order.done", order=out.order_no, action=t(f"action.{action}"),
                    before=t(f"status.{out.from_status}"), after=t(f"status.{out.to_status}")))


def _money(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return cash_fen(text)
    except MoneyError as exc:
        fail(t("cli.bad_amount", option=option, value=text, error=str(exc)), 2)


def _weight(text: str) -> tuple[str, int]:
    """`SKU=GRAMS` of `order handover --weight`: a measured weight in whole grams."""
    sku, sep, grams = text.partition("=")
    value = grams.strip()
    if not sep or not sku.strip() or not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) <= 0:
        fail(t("cli.handover.weight_bad", value=text), 2)
    return sku.strip(), int(value)


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text, state.settings().tz)
    except ClockError:
        fail(t("cli.bad_time", value=text), 2)


def register(app: typer.Typer) -> None:
    order = typer.Typer(help=t("cli.order.help"), no_args_is_help=True)
    app.add_typer(order, name="order")

    @order.command("show", help=t("cli.order.show.help"))
    @guarded
    def show(ref: Ref, as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        from ops_console.services.lifecycle import order_history, order_lines

        ctx = state.ctx()
        o, events = order_history(ctx, ref)
        lines = order_lines(ctx, o.id or 0)
        if as_json:
            print_json({
                "id": o.id, "channel": o.channel, "order_no": o.order_no, "status": o.status, "version": o.version,
                "store_id": o.store_id, "tier": o.tier, "courier_id": o.courier_id, "customer_name": o.customer_name,
                "phone": mask_phone(o.phone), "address": o.address, "amount": fen_to_yuan(o.amount),
                "payment_method": o.payment_method, "payment_status": o.payment_status, "remarks": o.remarks,
                "lines": [{"sku": li.sku, "name": li.name, "qty": li.qty, "unit_price": fen_to_yuan(li.unit_price),
                           "category": li.category} for li in lines],
                "events": [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                            "from": e.from_status, "to": e.to_status, "detail": e.detail} for e in events],
            })
            return
        console.print(f"[bold]{o.channel}:{o.order_no}[/]  {t(f'status.{o.status}')}  "
                      f"{o.customer_name} {mask_phone(o.phone)}  {o.address}  ¥{fen_to_yuan(o.amount)}")
        table = Table(header_style="bold")
        for col in ("at", "actor", "action", "from", "to"):
            table.add_column(t(f"col.{col}"))
        for e in events:
            table.add_row(local_time(ctx, e.at, "%m-%d %H:%M:%S"), e.actor, t(f"action.{e.action}"),
                          t(f"status.{e.from_status}") if e.from_status else "", t(f"status.{e.to_status}") if e.to_status else "")
        console.print(table)

    def simple(name: str, action: Action) -> None:
        @order.command(name, help=t(f"action.{action}"))
        @guarded
        def _cmd(ref: Ref) -> None:
            _do(ref, action)

    for name, action in (("approve", Action.APPROVE), ("pick", Action.START_PICKING),
                         ("picked", Action.FINISH_PICKING), ("redispatch", Action.REDISPATCH),
                         ("confirm", Action.CONFIRM)):
        simple(name, action)

    def with_reason(name: str, action: Action) -> None:
        @order.command(name, help=t(f"action.{action}"))
        @guarded
        def _cmd(ref: Ref, reason: ReasonOpt = None, text: TextOpt = None) -> None:
            _do(ref, action, reason=reason, reason_text=text)

    for name, action in (("reject", Action.REJECT), ("escalate", Action.ESCALATE), ("undispatch", Action.UNDISPATCH),
                         ("refuse", Action.REFUSE), ("fail", Action.FAIL), ("cancel", Action.CANCEL)):
        with_reason(name, action)

    @order.command("assign", help=t("action.assign"))
    @guarded
    def assign(ref: Ref, store: Annotated[str, typer.Argument(help=t("cli.arg.store_id"))]) -> None:
        _do(ref, Action.ASSIGN, store_id=store, method="manual")

    @order.command("shortage", help=t("action.report_shortage"))
    @guarded
    def shortage(
        ref: Ref,
        resolution: Annotated[str, typer.Option("--resolution", help="substitute | partial | wait")],
        note: Annotated[str | None, typer.Option("--note", help=t("cli.opt.note"))] = None,
        line: Annotated[int | None, typer.Option("--line", help=t("shortage.cli.line"))] = None,
        available: Annotated[str | None, typer.Option("--available", help=t("shortage.cli.available"))] = None,
        substitute: Annotated[str | None, typer.Option("--substitute", help=t("shortage.cli.substitute"))] = None,
    ) -> None:
        _do(ref, Action.REPORT_SHORTAGE, resolution=resolution, note=note, line_no=line, available=available,
            substitute_sku=substitute)

    @order.command("dispatch", help=t("action.dispatch"))
    @guarded
    def dispatch(
        ref: Ref,
        courier: Annotated[str | None, typer.Argument(help=t("cli.arg.courier_id"))] = None,
        courier_opt: Annotated[str | None, typer.Option("--courier", help=t("cli.opt.courier"))] = None,
        override: Annotated[str | None, typer.Option("--override-reason", help=t("cli.opt.override_reason"))] = None,
    ) -> None:
        # delivery (#16): `--courier C` as well as the positional id; a capacity override with its reason
        _do(ref, Action.DISPATCH, courier_id=courier_opt or courier, override_reason=override)

    from ops_console.cli.dispatch import add_order_commands  # delivery (#16): `order propose`

    add_order_commands(order)

    @order.command("handover", help=t("action.hand_over"))
    @guarded
    def handover(
        ref: Ref,
        receipt: Annotated[str | None, typer.Option("--receipt", help=t("cli.opt.receipt"))] = None,
        amount: Annotated[str | None, typer.Option("--amount", help=t("cli.opt.amount"))] = None,
        reason: Annotated[str | None, typer.Option("--reason", help=t("cli.opt.cash_reason"))] = None,
        weight: Annotated[list[str] | None, typer.Option("--weight", help=t("cli.handover.weight"))] = None,
    ) -> None:
        weights = [_weight(w) for w in weight or []]  # checked before anything is done
        _do(ref, Action.HAND_OVER, till_receipt=receipt, till_amount=_money(amount, "--amount"), cash_reason=reason)
        if weights:
            from ops_console.services.anomalies import record_weight

            for sku, grams in weights:
                alert_id = record_weight(state.ctx(), ref, sku, grams, state.actor())
                if alert_id is not None:
                    console.print(t("cli.handover.weight_alert", sku=sku, id=alert_id))

    @order.command("call", help=t("action.call"))
    @guarded
    def call(
        ref: Ref,
        outcome: Annotated[str, typer.Option("--outcome", help="now | appointment | address_corrected | unreachable")],
        at: Annotated[str | None, typer.Option("--at", help=t("cli.opt.appointment"))] = None,
        address: Annotated[str | None, typer.Option("--address", help=t("cli.opt.address"))] = None,
    ) -> None:
        store_id = None
        if address:
            from ops_console.services.matching import auto_store

            store_id = auto_store(state.ctx(), address)
        _do(ref, Action.CALL, outcome=outcome, appointment_at=_when(at), address=address, store_id=store_id)

    @order.command("deliver", help=t("action.deliver"))
    @guarded
    def deliver(
        ref: Ref,
        cash: Annotated[str | None, typer.Option("--cash", help=t("cli.opt.cash"))] = None,
        reason: Annotated[str | None, typer.Option("--reason", help=t("cli.opt.cash_reason"))] = None,
    ) -> None:
        _do(ref, Action.DELIVER, cod_collected=_money(cash, "--cash"), cash_reason=reason)
