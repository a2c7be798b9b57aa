"""`ops-console demo init|run`: the demo city, always in data/demo.db.

Both commands switch to the demo database whether or not `--demo` was given (and whatever
`database.url` says), so the demo can never land in the real database; the simulator itself also
refuses a database that `demo init` did not fill. They run as the system: no operator needed.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ops_console.cli.common import console, fail, guarded, local_time, print_json, state
from ops_console.i18n import t

if TYPE_CHECKING:
    from ops_console.services.context import AppContext


def _demo_ctx() -> AppContext:
    """The context on data/demo.db, even when the command line did not say --demo."""
    if not state.demo:
        if state._ctx is not None:
            state._ctx.close()
        state.demo, state._settings, state._ctx = True, None, None
    return state.ctx()


def _probability(option: str, value: float | None) -> float | None:
    if value is not None and not 0 <= value <= 1:
        fail(t("demo.bad_probability", option=option, value=value), 2)
    return value


def _positive(option: str, value: float | None) -> None:
    if value is not None and value <= 0:
        fail(t("demo.bad_positive", option=option, value=value), 2)


def _operators_table() -> Table:
    from ops_console.demo.catalog import OPERATORS

    table = Table(title=t("demo.operators_title"), header_style="bold")
    for col in (t("col.id"), t("col.name"), t("col.role"), t("demo.col.pin"), t("demo.col.note")):
        table.add_column(col)
    for op in OPERATORS:
        table.add_row(op.id, op.name, t(f"role.{op.role}"), op.pin, t(f"demo.note.{op.note}") if op.note else "")
    return table


def register(app: typer.Typer) -> None:
    demo = typer.Typer(help=t("cli.demo.help"), no_args_is_help=True)
    app.add_typer(demo, name="demo")

    @demo.command("init", help=t("cli.demo.init.help"))
    @guarded
    def init(
        seed: Annotated[int | None, typer.Option("--seed", help=t("cli.demo.opt.seed"))] = None,
        hours: Annotated[float | None, typer.Option("--hours", help=t("cli.demo.opt.hours"))] = None,
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
    ) -> None:
        from ops_console.demo.catalog import OPERATORS
        from ops_console.services.demo import DEMO_SEED, HISTORY_HOURS, init_demo
        from ops_console.services.demo_sim import is_demo_database

        _positive("--hours", hours)
        ctx = _demo_ctx()
        url = ctx.settings.database.url
        result = init_demo(ctx, seed=DEMO_SEED if seed is None else seed,
                           history_hours=HISTORY_HOURS if hours is None else hours)
        demo_city = result.created or (result.state == "not_empty" and is_demo_database(ctx))
        if as_json:
            print_json({
                "url": url, "created": result.created, "state": result.state,
                "operators": [{"id": o.id, "name": o.name, "role": o.role, "pin": o.pin} for o in OPERATORS]
                if demo_city else [],
                "stores": result.stores, "keywords": result.keywords, "couriers": result.couriers,
                "skus": result.skus, "orders": result.orders, "events": result.events,
            })
        else:
            console.print(t("demo.database", url=url))
            if result.created:
                console.print(t("demo.created", stores=result.stores, keywords=result.keywords,
                                couriers=sum(result.couriers.values()), skus=result.skus,
                                orders=sum(result.orders.values()), events=result.events))
                console.print(t("demo.couriers_by_tier", tiers=", ".join(
                    f"{t(f'tier.{tier}')} {n}" for tier, n in sorted(result.couriers.items()))))
            elif result.state == "interrupted":
                console.print(t("demo.interrupted"))
            else:
                console.print(t("demo.not_empty_demo") if demo_city else t("demo.not_empty"))
            if demo_city:
                console.print(_operators_table())
        if result.state == "interrupted":
            raise typer.Exit(1)

    @demo.command("run", help=t("cli.demo.run.help"))
    @guarded
    def run(
        rate: Annotated[float, typer.Option("--rate", help=t("cli.demo.opt.rate"))] = 1.0,
        speed: Annotated[float, typer.Option("--speed", help=t("cli.demo.opt.speed"))] = 1.0,
        seed: Annotated[int | None, typer.Option("--seed", help=t("cli.demo.opt.seed"))] = None,
        minutes: Annotated[float | None, typer.Option("--minutes", help=t("cli.demo.opt.minutes"))] = None,
        steps: Annotated[int | None, typer.Option("--steps", help=t("cli.demo.opt.steps"))] = None,
        interval: Annotated[float, typer.Option("--interval", help=t("cli.demo.opt.interval"))] = 2.0,
        p_refuse: Annotated[float | None, typer.Option("--p-refuse", help=t("cli.demo.opt.p_refuse"))] = None,
        p_fail: Annotated[float | None, typer.Option("--p-fail", help=t("cli.demo.opt.p_fail"))] = None,
        p_appointment: Annotated[
            float | None, typer.Option("--p-appointment", help=t("cli.demo.opt.p_appointment"))] = None,
        p_anomaly: Annotated[float | None, typer.Option("--p-anomaly", help=t("cli.demo.opt.p_anomaly"))] = None,
        p_busy: Annotated[float | None, typer.Option("--p-busy", help=t("cli.demo.opt.p_busy"))] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help=t("cli.demo.opt.quiet"))] = False,
    ) -> None:
        import dataclasses

        from ops_console.services.demo_run import run_loop
        from ops_console.services.demo_sim import SimSettings, Simulator, StepReport

        _positive("--speed", speed)
        _positive("--minutes", minutes)
        _positive("--steps", steps)
        if rate < 0:
            fail(t("demo.bad_positive", option="--rate", value=rate), 2)
        if interval < 0:
            fail(t("demo.bad_positive", option="--interval", value=interval), 2)
        chances = {
            "p_refuse": _probability("--p-refuse", p_refuse),
            "p_fail": _probability("--p-fail", p_fail),
            "p_appointment": _probability("--p-appointment", p_appointment),
            "p_anomaly": _probability("--p-anomaly", p_anomaly),
            "p_busy": _probability("--p-busy", p_busy),
        }
        given: dict[str, Any] = {k: v for k, v in chances.items() if v is not None}
        settings = dataclasses.replace(SimSettings(rate_per_minute=rate, speed=speed), **given)
        ctx = _demo_ctx()
        seed = random.SystemRandom().randrange(10**6) if seed is None else seed
        sim = Simulator(ctx, random.Random(seed), settings)
        console.print(t("demo.database", url=ctx.settings.database.url))
        console.print(t("demo.run.started", rate=rate, speed=speed, seed=seed))

        def show(report: StepReport) -> None:
            if quiet or not (report.created or report.total):
                return
            done = ", ".join(f"{t(f'action.{a}')} {n}" for a, n in sorted(report.actions.items()))
            line = t("demo.run.tick", time=local_time(ctx, report.at, "%H:%M:%S"), created=len(report.created),
                     actions=done or "-")
            if report.lost:
                line += " " + t("demo.run.lost", lost=report.lost)
            console.print(line)

        totals = run_loop(sim, interval_seconds=interval, minutes=minutes, steps=steps, on_step=show)
        console.print(t("demo.run.stopped", steps=totals.steps, created=totals.created,
                        actions=sum(totals.actions.values())))
