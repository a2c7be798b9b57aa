"""`ops-console service open|confirm|contact|pickup|refund|exchange|decline|close|list`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, fail, guarded, local_time, print_json, state
from ops_console.domain.money import MoneyError, fen_to_yuan, yuan_to_fen
from ops_console.i18n import t

Id = Annotated[int, typer.Argument(help=t("cli.arg.request_id"))]
Json = Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))]


def _moved(view_id: int, before: str, after: str) -> None:
    console.print(t("service.moved", id=view_id, before=t(f"service.status.{before}"),
                    after=t(f"service.status.{after}")))


def register(app: typer.Typer) -> None:
    svc = typer.Typer(help=t("cli.service.help"), no_args_is_help=True)
    app.add_typer(svc, name="service")

    @svc.command("open", help=t("cli.service.open.help"))
    @guarded
    def open_(
        ref: Annotated[str, typer.Argument(help=t("cli.arg.order_ref"))],
        kind: Annotated[str, typer.Option("--type", help=t("cli.opt.type"))],
        text: Annotated[str, typer.Option("--text", help=t("cli.opt.request_text"))],
        reason: Annotated[str | None, typer.Option("--reason", help=t("cli.opt.request_reason"))] = None,
        as_json: Json = False,
    ) -> None:
        from ops_console.services.service_requests import open_request

        view = open_request(state.ctx(), ref, kind, text, state.actor(), reason=reason)
        if as_json:
            print_json({"id": view.id, "status": view.status, "order_no": view.order_no, "type": view.type,
                        "deadline": view.deadline.isoformat() if view.deadline else None})
            return
        console.print(t("service.opened", id=view.id, order=view.order_no, type=t(f"service.type.{view.type}")))

    def step(name: str) -> None:
        @svc.command(name, help=t(f"service.action.{name}"))
        @guarded
        def _cmd(request_id: Id,
                 note: Annotated[str | None, typer.Option("--text", help=t("cli.opt.note"))] = None) -> None:
            from ops_console.services.service_requests import act, get_request

            before = get_request(state.ctx(), request_id).status
            view = act(state.ctx(), request_id, name, state.actor(), note=note)
            _moved(view.id, before, view.status)

    for name in ("confirm", "contact", "pickup", "decline", "close"):
        step(name)

    @svc.command("refund", help=t("cli.service.refund.help"))
    @guarded
    def refund_(
        request_id: Id,
        method: Annotated[str, typer.Option("--method", help=t("cli.opt.refund_method"))],
        courier: Annotated[str | None, typer.Option("--courier", help=t("cli.opt.refund_courier"))] = None,
        amount: Annotated[str | None, typer.Option("--amount", help=t("cli.opt.refund_amount"))] = None,
    ) -> None:
        from ops_console.services.service_requests import get_request, refund

        fen = None
        if amount is not None:
            try:
                fen = yuan_to_fen(amount)
            except MoneyError as exc:
                fail(t("cli.bad_amount", option="--amount", value=amount, error=str(exc)), 2)
        before = get_request(state.ctx(), request_id).status
        view = refund(state.ctx(), request_id, method, state.actor(), courier_id=courier, amount=fen)
        _moved(view.id, before, view.status)

    @svc.command("exchange", help=t("cli.service.exchange.help"))
    @guarded
    def exchange_(request_id: Id, as_json: Json = False) -> None:
        from ops_console.services.service_requests import exchange

        view, order_no = exchange(state.ctx(), request_id, state.actor())
        if as_json:
            print_json({"id": view.id, "status": view.status, "order_no": order_no})
            return
        console.print(t("service.exchanged", id=view.id, order=order_no))

    @svc.command("list", help=t("cli.service.list.help"))
    @guarded
    def list_(
        include_all: Annotated[bool, typer.Option("--all", help=t("cli.opt.all_requests"))] = False,
        as_json: Json = False,
    ) -> None:
        from ops_console.services.service_requests import list_requests

        ctx = state.ctx()
        views = list_requests(ctx, include_closed=include_all)
        if as_json:
            print_json([v.to_json() for v in views])
            return
        if not views:
            console.print(t("service.none"))
            return
        table = Table(header_style="bold")
        for key in ("col.id", "service.col.order", "service.col.type", "service.col.status", "service.col.refund",
                    "service.col.deadline"):
            table.add_column(t(key))
        for v in views:
            refund = f"{fen_to_yuan(v.refund_amount)} {v.refund_method}" if v.refund_method else ""
            deadline = f"{t(f'service.limit.{v.deadline_kind}')} {local_time(ctx, v.deadline, '%m-%d %H:%M')}" \
                if v.deadline else ""
            table.add_row(str(v.id), escape(f"{v.channel}:{v.order_no}"), t(f"service.type.{v.type}"),
                          t(f"service.status.{v.status}"), refund, deadline)
        console.print(table)
