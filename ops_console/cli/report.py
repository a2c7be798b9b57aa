"""`ops-console report daily|weekly|monthly [--date D] [--json]`: figures without closing anything."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ops_console.cli.common import console, guarded, print_json, state
from ops_console.i18n import t


def register(app: typer.Typer) -> None:
    rep = typer.Typer(help=t("cli.report.help"), no_args_is_help=True)
    app.add_typer(rep, name="report")

    def run(kind: str, day: str | None, as_json: bool) -> None:
        from ops_console.cli.closeout import show_figures
        from ops_console.services import closeout as svc

        ctx = state.ctx()
        figures = svc.report(ctx, kind, svc.parse_date(day, ctx))
        if as_json:
            print_json(figures)
            return
        show_figures(figures)
        if kind == "monthly":
            summary = figures.get("not_completed_summary") or []
            console.print(t("closeout.section.not_completed_summary") + ": "
                          + (", ".join(f"{escape(r['reason'])} {r['count']} ({r['pct']}%)" for r in summary)
                             or t("closeout.no_data")))
        if kind == "weekly":
            cod = figures.get("replenishment_cod_by_store") or {}
            console.print(t("closeout.section.replenishment_cod") + ": "
                          + (", ".join(f"{escape(k)} {v}" for k, v in cod.items()) or t("closeout.no_data")))

    def make(kind: str) -> None:
        def command(
            day: Annotated[str | None, typer.Option("--date", help=t("cli.closeout.date"))] = None,
            as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
        ) -> None:
            run(kind, day, as_json)

        rep.command(kind, help=t(f"cli.report.{kind}"))(guarded(command))

    for kind in ("daily", "weekly", "monthly"):
        make(kind)
