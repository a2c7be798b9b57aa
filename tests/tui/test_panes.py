"""What each pane and the header show for a fixed shift at 10:00."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ops_console.domain.types import Action
from ops_console.i18n import set_language
from ops_console.services import panes as pane_service
from ops_console.services.context import AppContext
from ops_console.services.lifecycle import perform
from ops_console.services.matching import describe_match_reason
from ops_console.storage.db import write_session
from ops_console.storage.models import Meta, Order
from tests.conftest import DISPATCHER, T0
from tests.factories import new_order
from tests.tui.conftest import SIZE, row_of, settle, texts


async def test_unassigned_pane_urgent_first_then_oldest_with_review_below(make_app: Any,
                                                                         shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        lines = texts(main.panes["unassigned"])
        assert lines[0].startswith("待分配 3")
        assert [line.split()[0] for line in lines[1:4]] == ["美团:MT1001", "美团:MT1002", "美团:MT1003"]
        assert "急" in lines[1] and "12m" in lines[1]
        assert "到付" in lines[2] and "35m" in lines[2]
        assert "阳光店 0.82" in lines[3]  # the matcher's top suggestion with its score
        assert lines[4].startswith("人工审核 1")
        assert "MT1004" in lines[5] and "价格不符" in lines[5]  # why it is waiting for a person
        assert "1 待分配订单 · 4" in str(main.panes["unassigned"].border_title)


async def test_picking_timers_grouped_by_store_with_the_late_ones_marked(make_app: Any,
                                                                         shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["picking"]
        lines = texts(pane)
        assert lines[0].startswith("河畔店 S02 1 1 单超时")  # the store with the most urgent order first
        assert "7m/5m" in lines[1]  # produce: 5 minutes from assignment
        assert lines[2].startswith("阳光店 S01 1")
        assert "3m/5m" in lines[3]
        bar_cell = pane.get_row_at(row_of(pane, "MT1006"))[3]
        assert "red" in str(bar_cell.style)  # past the SLA: a red bar


async def test_board_groups_by_tier_with_waiting_and_travelling_time(ctx: AppContext, make_app: Any,
                                                                     shift: dict[str, int]) -> None:
    perform(ctx, shift["MT1007"], Action.ESCALATE, DISPATCHER, reason="no_free_courier")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        lines = texts(main.panes["board"])
        assert lines[0].startswith("公司配送员 2")
        assert "MT1008" in lines[1] and "已派" in lines[1] and "9m" in lines[1] and "刘一" in lines[1]
        assert "MT1009" in lines[2] and "配送中" in lines[2] and "50m" in lines[2]
        assert lines[3].startswith("第三方配送 1") or "第三方" in lines[3]
        assert "MT1007" in lines[4] and "待派" in lines[4]


async def test_alert_feed_newest_first_with_repeat_counts(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["alerts"]
        lines = texts(pane)
        assert lines[0].startswith("09:59 严重") and "×3" in lines[0]
        assert lines[1].startswith("09:30 警告") and "MT1002" in lines[1]
        severity = pane.get_row_at(0)[1]
        assert "red" in str(severity.style)


async def test_header_shows_the_shift_at_a_glance(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    with write_session(ctx.engine) as s:
        s.add(Meta(key="scheduler.last_run", value=(T0 - timedelta(seconds=10)).isoformat(), updated_at=T0))
    perform(ctx, shift["MT1008"], Action.HAND_OVER, DISPATCHER, till_receipt="R-2")
    perform(ctx, shift["MT1008"], Action.CALL, DISPATCHER, outcome="appointment",
            appointment_at=T0 + timedelta(minutes=20))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        text = main.header.render_text(T0).plain
        for part in ("2026-11-24 周二 10:00:00", "积压 35m", "待分配 3 · 待审核 1", "拣货超时 1", "配送超时 1",
                     "30分钟内预约 1", "未处理告警 2", "严重告警 1", "公司 2/2", "第三方 1/1",
                     "检查上次运行 09:59:50", "王丽 (调度)", "ops.db"):
            assert part in text, part


async def test_a_long_queue_shows_a_window_with_the_total(ctx: AppContext, make_app: Any,
                                                          shift: dict[str, int]) -> None:
    for i in range(12):
        new_order(ctx, f"MX{i:03d}")
    app = make_app(window=10)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["unassigned"]
        assert "显示 11 / 共 16" in str(pane.border_title)  # 10 unassigned + 1 in review, of 15 + 1
        assert sum(1 for line in texts(pane) if "MX" in line) == 7  # the oldest come first


def test_snapshot_service_counts_picking_deadlines(ctx: AppContext, shift: dict[str, int]) -> None:
    snap = pane_service.load(ctx)
    assert snap.picking_overdue(T0) == 1
    assert snap.picking_overdue(T0 + timedelta(minutes=3)) == 2
    assert snap.header.delivery_overdue(T0, 45) == 1
    assert snap.header.backlog_minutes(T0) == 35


def test_match_reasons_read_as_words_in_both_languages() -> None:
    names = {"S03": "阳光店", "S04": "河畔店"}
    set_language("zh_CN")
    assert describe_match_reason("no keyword") == "无关键词"
    assert describe_match_reason("ambiguous: S03, S04", names) == "多家门店:S03 阳光店, S04 河畔店"
    assert describe_match_reason("auto") == "自动分配"
    set_language("en")
    assert describe_match_reason("no keyword") == "no keyword"
    assert describe_match_reason("ambiguous: S03, S04", names) == "several stores: S03 阳光店, S04 河畔店"
    assert describe_match_reason("ambiguous: S09") == "several stores: S09"  # a store without a name: its id
    assert describe_match_reason("auto") == "assigned automatically"
    assert describe_match_reason(None) == ""
    assert describe_match_reason("something new") == "something new"  # an unknown form is shown as stored


async def test_the_queue_says_why_an_order_was_not_matched_in_words(ctx: AppContext, make_app: Any,
                                                                    shift: dict[str, int]) -> None:
    with write_session(ctx.engine) as s:
        s.get(Order, shift["MT1002"]).match_reason = "ambiguous: S01, S02"  # as the matcher stores it
        s.get(Order, shift["MT1001"]).match_reason = "no keyword"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["unassigned"]
        assert "多家门店:S01 阳光店, S02 河畔店" in texts(pane)[row_of(pane, "MT1002")]
        assert "无关键词" in texts(pane)[row_of(pane, "MT1001")]
        await pilot.press("L")  # and in the other language
        assert "several stores: S01 阳光店, S02 河畔店" in texts(pane)[row_of(pane, "MT1002")]
        assert "no keyword" in texts(pane)[row_of(pane, "MT1001")]
        # The suggestion says why, in the words of the assign dialog (one vocabulary).
        assert "阳光店 0.82 similar spelling" in texts(pane)[row_of(pane, "MT1003")]


def test_picking_clock_follows_a_reassignment_between_two_loads(ctx: AppContext, shift: dict[str, int]) -> None:
    """The console keeps picking deadlines between refreshes (by order version): an order sent back
    to the queue and assigned again between two loads restarts its clock on the next one."""
    first = pane_service.load(ctx)
    row = next(r for r in first.panes["picking"].rows if r.order_no == "MT1005")
    assert row.assigned_at == T0 - timedelta(minutes=3)
    ctx.clock.set(T0 + timedelta(minutes=10))  # type: ignore[attr-defined]
    perform(ctx, shift["MT1005"], Action.REASSIGN, DISPATCHER, reason="store asked")
    perform(ctx, shift["MT1005"], Action.ASSIGN, DISPATCHER, store_id="S02")
    second = pane_service.load(ctx)
    moved = next(r for r in second.panes["picking"].rows if r.order_no == "MT1005")
    assert (moved.store_id, moved.assigned_at) == ("S02", T0 + timedelta(minutes=10))
    assert second.picking_deadlines is not None
    assert moved.assigned_at + timedelta(minutes=moved.sla_minutes) in second.picking_deadlines
    assert row.assigned_at + timedelta(minutes=row.sla_minutes) not in second.picking_deadlines
