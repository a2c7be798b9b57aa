"""Pane 4's keys on an anomaly (Pilot): A acknowledges, T owns with a deadline, m silences with a
reason, R resolves with the customer informed, `!` reports an order; each lands in the database
with who and when, and the feed shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.services.context import AppContext
from ops_console.storage.db import read_session
from ops_console.storage.models import Anomaly, Event
from tests.conftest import T0
from tests.tui.conftest import SIZE, row_of, settle, texts, wait_until


def alert(ctx: AppContext, rule: str = "amount_cap") -> Anomaly:
    with read_session(ctx.engine) as s:
        return s.exec(select(Anomaly).where(Anomaly.rule == rule)).one()


async def on_the_alert(pilot: Any) -> Any:
    main = await settle(pilot)
    await pilot.press("4")
    pane = main.panes["alerts"]
    pane.move_cursor(row=row_of(pane, "MT1002"))
    return main, pane


async def test_shift_a_acknowledges_an_anomaly_after_asking(ctx: AppContext, shift: dict[str, int],
                                                            make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        _main, pane = await on_the_alert(pilot)
        assert "金额超上限" in texts(pane)[row_of(pane, "MT1002")]  # the rule's name, not its id
        await pilot.press("A", "enter")
        await wait_until(pilot, lambda: alert(ctx).status == "acknowledged")
        assert (alert(ctx).acknowledged_by, alert(ctx).acknowledged_at) == ("U01", T0)
        await settle(pilot)
        assert "已确认" in texts(pane)[row_of(pane, "MT1002")]


async def test_shift_t_takes_ownership_with_a_deadline(ctx: AppContext, shift: dict[str, int],
                                                       make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_the_alert(pilot)
        await pilot.press("T")
        await pilot.press(*"soon", "enter")  # not a time: the form says so and stays
        assert "看不懂时间" in str(app.screen.query_one("#message").render())
        app.screen.query_one("#when").value = ""
        await pilot.press(*"45", "enter")
        await wait_until(pilot, lambda: alert(ctx).owner == "U01")
        assert alert(ctx).deadline == T0 + timedelta(minutes=45)


async def test_m_silences_until_a_time_with_a_reason_and_the_end_of_the_silence_shows(
        ctx: AppContext, clock: ManualClock, shift: dict[str, int], make_app: Any) -> None:
    from ops_console.services.anomaly_checks import run_anomaly_checks

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        _main, pane = await on_the_alert(pilot)
        await pilot.press("m", *"10:30", "enter")
        await pilot.press("enter")  # no reason yet: refused, the form stays
        assert "请填写说明" in str(app.screen.query_one("#message").render())
        await pilot.press(*"客户已来电", "enter")
        await wait_until(pilot, lambda: alert(ctx).status == "silenced")
        row = alert(ctx)
        assert (row.silenced_until, row.silence_reason, row.silenced_by) == (T0 + timedelta(minutes=30),
                                                                             "客户已来电", "U01")
        await settle(pilot)
        assert "静音" in texts(pane)[row_of(pane, "MT1002")]
        clock.set(T0 + timedelta(minutes=31))
        run_anomaly_checks(ctx)
        await settle(pilot)
        assert alert(ctx).status == "open"
        assert "静音" not in texts(pane)[row_of(pane, "MT1002")]


async def test_shift_r_resolves_with_a_text_and_customer_informed(ctx: AppContext, shift: dict[str, int],
                                                                  make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        _main, _pane = await on_the_alert(pilot)
        await pilot.press("R", *"已与客户核实金额", "enter")
        await pilot.press("down", "enter")  # "no, not informed"
        await wait_until(pilot, lambda: alert(ctx).status == "resolved")
        row = alert(ctx)
        assert (row.resolution, row.customer_informed, row.resolved_by) == ("已与客户核实金额", False, "U01")
        with read_session(ctx.engine) as s:
            ev = s.exec(select(Event).where(Event.subject_type == "anomaly", Event.action == "resolved")).one()
        assert ev.actor == "U01" and ev.at == T0


async def test_bang_reports_the_selected_order_with_a_kind_and_a_text(ctx: AppContext, shift: dict[str, int],
                                                                      make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("3")
        board = main.panes["board"]
        board.move_cursor(row=row_of(board, "MT1008"))
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: "MT1008" in str(app.screen.query_one("#orders").render()))
        await pilot.press("down", "down", "enter")  # exchange
        await pilot.press("enter")  # no text yet: refused
        assert "请填写说明" in str(app.screen.query_one("#message").render())
        await pilot.press(*"客户要换一袋", "enter")
        await wait_until(pilot, lambda: _staff_report(ctx) is not None)
        report = _staff_report(ctx)
        assert report is not None and report.order_id == shift["MT1008"]
        assert "exchange" in str(report.detail) and "客户要换一袋" in str(report.detail)
        await settle(pilot)
        alerts = main.panes["alerts"]
        assert "人工上报" in texts(alerts)[row_of(alerts, "MT1008")]


def _staff_report(ctx: AppContext) -> Anomaly | None:
    with read_session(ctx.engine) as s:
        return s.exec(select(Anomaly).where(Anomaly.rule == "staff_report")).first()


async def test_slash_filters_pane_4_by_rule_and_by_status(ctx: AppContext, shift: dict[str, int],
                                                         make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        _main, pane = await on_the_alert(pilot)
        assert len(texts(pane)) >= 2  # the reminder and the anomaly
        await pilot.press("slash", *"amount_cap", "enter")
        await pilot.pause()
        assert [line for line in texts(pane) if line] and all("MT1002" in line for line in texts(pane) if line)
        await pilot.press("escape", "slash", *"未处理", "enter")
        await pilot.pause()
        assert any("MT1002" in line for line in texts(pane)) and any("待分配严重积压" in line for line in texts(pane))
        await pilot.press("escape", "slash", *"silenced", "enter")
        await pilot.pause()
        assert not any("MT1002" in line for line in texts(pane))
