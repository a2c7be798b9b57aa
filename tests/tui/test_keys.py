"""Every key of the console's main screen, driven with Pilot: what lands in the database and what the
dispatcher sees."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from ops_console.domain.types import Action
from ops_console.services.context import AppContext
from ops_console.services.lifecycle import perform
from ops_console.storage.db import read_session
from ops_console.storage.models import Courier, Event, Order, Reminder
from ops_console.tui.app import MainScreen
from ops_console.tui.panes import BoardPane, PickingPane, UnassignedPane
from tests.conftest import CS, DISPATCHER, T0
from tests.tui.conftest import SIZE, row_of, settle, texts, wait_until

KEY_NAMES = {" ": "space", ":": "colon", "!": "exclamation_mark", "/": "slash", "<": "less_than_sign",
             ">": "greater_than_sign", "?": "question_mark"}


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*(KEY_NAMES.get(ch, ch) for ch in text))


def status_of(ctx: AppContext, order_no: str) -> str:
    with read_session(ctx.engine) as s:
        return s.exec(select(Order.status).where(Order.order_no == order_no)).one()


def notes(app: Any) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def select_row(pilot: Any, main: MainScreen, pane_id: str, order_no: str) -> None:
    await pilot.press(str(main.panes[pane_id].number))
    pane = main.panes[pane_id]
    pane.move_cursor(row=row_of(pane, order_no))
    await pilot.pause()


async def test_number_keys_and_tab_move_focus_between_panes(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert isinstance(app.focused, UnassignedPane)
        await pilot.press("2")
        assert isinstance(app.focused, PickingPane)
        await pilot.press("3")
        assert isinstance(app.focused, BoardPane)
        await pilot.press("tab")
        assert app.focused is main.panes["alerts"]
        await pilot.press("tab")
        assert isinstance(app.focused, UnassignedPane)
        assert "p" not in str(main.query_one("#keybar").render())  # picking keys are offered only in pane 2


async def test_p_starts_picking_and_d_finishes_it(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "picking", "MT1005")
        await pilot.press("p")
        main = await settle(pilot)
        assert status_of(ctx, "MT1005") == "picking"
        picking = main.panes["picking"]
        assert "拣货中" in texts(picking)[row_of(picking, "MT1005")]
        assert picking.selected().order_no == "MT1005"  # the cursor stayed on the order
        await pilot.press("d")
        main = await settle(pilot)
        assert status_of(ctx, "MT1005") == "picked"
        assert not any("MT1005" in line for line in texts(main.panes["picking"]))
        assert "待派" in texts(main.panes["board"])[row_of(main.panes["board"], "MT1005")]
        with read_session(ctx.engine) as s:
            actors = set(s.exec(select(Event.actor).where(Event.order_id == shift["MT1005"],
                                                          Event.action.in_(["start_picking", "finish_picking"]))))
        assert actors == {"U01"}


async def test_y_approves_a_manual_review_order(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "unassigned", "MT1004")
        await pilot.press("y")
        main = await settle(pilot)
        # Approval runs the matcher like a review pass: its address names S01's 阳光小区.
        assert status_of(ctx, "MT1004") == "assigned"
        pane = main.panes["unassigned"]
        assert not any("MT1004" in line for line in texts(pane))
        assert not any(line.startswith("人工审核") for line in texts(pane))  # the review queue is empty now


async def test_c_claims_and_c_again_releases(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "unassigned", "MT1002")
        await pilot.press("c")
        main = await settle(pilot)
        pane = main.panes["unassigned"]
        assert "王丽" in texts(pane)[row_of(pane, "MT1002")]
        with read_session(ctx.engine) as s:
            assert s.exec(select(Order.claimed_by).where(Order.order_no == "MT1002")).one() == "U01"
        await pilot.press("c")
        main = await settle(pilot)
        assert "王丽" not in texts(pane)[row_of(pane, "MT1002")]
        with read_session(ctx.engine) as s:
            assert s.exec(select(Order.claimed_by).where(Order.order_no == "MT1002")).one() is None


async def test_board_keys_deliver_release_hold_and_redispatch(ctx: AppContext, make_app: Any,
                                                              shift: dict[str, int]) -> None:
    perform(ctx, shift["MT1008"], Action.HAND_OVER, DISPATCHER, till_receipt="R-1")
    perform(ctx, shift["MT1008"], Action.CALL, DISPATCHER, outcome="appointment",
            appointment_at=T0 + timedelta(minutes=40))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "board", "MT1009")
        await pilot.press("D")
        main = await settle(pilot)
        assert status_of(ctx, "MT1009") == "delivered"
        assert not any("MT1009" in line for line in texts(main.panes["board"]))
        await select_row(pilot, main, "board", "MT1008")
        assert "暂存" in texts(main.panes["board"])[row_of(main.panes["board"], "MT1008")]
        await pilot.press("o")  # held: the call-outcome key releases the hold
        main = await settle(pilot)
        assert status_of(ctx, "MT1008") == "dispatched"
        perform(ctx, shift["MT1008"], Action.CALL, DISPATCHER, outcome="now")
        perform(ctx, shift["MT1008"], Action.REFUSE, DISPATCHER, reason="quality")
        main = await settle(pilot)
        await select_row(pilot, main, "board", "MT1008")
        await pilot.press("b")
        main = await settle(pilot)
        assert status_of(ctx, "MT1008") == "picked"
        assert "待派" in texts(main.panes["board"])[row_of(main.panes["board"], "MT1008")]


async def test_tagged_rows_report_every_outcome_honestly(ctx: AppContext, make_app: Any,
                                                         shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "picking", "MT1005")
        await pilot.press("space")
        await select_row(pilot, main, "picking", "MT1006")
        await pilot.press("space")
        assert main.panes["picking"].tagged == {f"o:{shift['MT1005']}", f"o:{shift['MT1006']}"}
        assert "●" in texts(main.panes["picking"])[row_of(main.panes["picking"], "MT1006")]
        await pilot.press("p")  # MT1005 can start picking; MT1006 is already picking
        main = await settle(pilot)
        assert status_of(ctx, "MT1005") == "picking"
        text = notes(app)
        assert "1" in text and "2" in text  # "1 of 2 done"
        assert "✓ MT1005" in text
        assert "MT1006" in text and "不能开始拣货" in text
        assert not main.panes["picking"].tagged


async def test_dialog_keys_open_the_dialogs(make_app: Any, shift: dict[str, int]) -> None:
    from ops_console.tui.duty import DutyScreen
    from ops_console.tui.screens import (
        AssignScreen,
        CallOutcomeScreen,
        CourierScreen,
        HandOverScreen,
        OrderDetailScreen,
        PhoneOrderScreen,
        ReasonScreen,
        ShortageScreen,
    )

    cases = [
        ("unassigned", "MT1001", "a", AssignScreen),
        ("unassigned", "MT1004", "x", ReasonScreen),
        ("unassigned", "MT1001", "enter", OrderDetailScreen),
        ("picking", "MT1006", "s", ShortageScreen),
        ("board", "MT1007", "i", CourierScreen),
        ("board", "MT1007", "e", ReasonScreen),
        ("board", "MT1008", "U", ReasonScreen),
        ("board", "MT1008", "t", HandOverScreen),
        ("board", "MT1008", "o", CallOutcomeScreen),
        ("board", "MT1009", "r", ReasonScreen),
        ("board", "MT1009", "f", ReasonScreen),
        ("board", "MT1009", "w", DutyScreen),
        ("board", "MT1009", "n", PhoneOrderScreen),
    ]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        for pane, order_no, key, screen_cls in cases:
            await select_row(pilot, main, pane, order_no)
            await pilot.press(key)
            await wait_until(pilot, lambda cls=screen_cls: isinstance(app.screen, cls))
            app.screen.dismiss(None)
            await wait_until(pilot, lambda: app.screen is main)


async def test_a_on_a_picking_order_explains_instead_of_opening(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "picking", "MT1006")
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is main
        assert "MT1006" in notes(app) and "拣货中" in notes(app)


async def test_w_puts_a_courier_off_duty(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert "公司 2/2" in main.header.render_text(T0).plain
        await pilot.press("3", "w")
        await wait_until(pilot, lambda: app.screen is not main)
        await pilot.press("enter")  # C01, the first courier
        await app.workers.wait_for_complete()
        await pilot.pause()
        with read_session(ctx.engine) as s:
            assert s.get(Courier, "C01").on_duty is False
            assert s.exec(select(Event).where(Event.subject_id == "C01", Event.action == "courier_off_duty")).first()
        await pilot.press("escape")
        main = await settle(pilot)
        assert "公司 1/1" in main.header.render_text(T0).plain


async def test_shift_a_acknowledges_a_reminder_after_asking(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("4")
        pane = main.panes["alerts"]
        pane.move_cursor(row=row_of(pane, "×3"))
        await pilot.press("A")
        await wait_until(pilot, lambda: app.screen is not main)  # it cannot be taken back: asks first
        await pilot.press("enter")
        main = await settle(pilot)
        with read_session(ctx.engine) as s:
            reminder = s.exec(select(Reminder)).one()
        assert (reminder.status, reminder.acknowledged_by) == ("acknowledged", "U01")
        assert "已确认" in texts(pane)[row_of(pane, "×3")]
        assert "未处理告警 1" in main.header.render_text(T0).plain


async def test_anomaly_verbs_on_a_reminder_say_what_a_reminder_takes(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("4")
        pane = main.panes["alerts"]
        pane.move_cursor(row=row_of(pane, "待分配严重积压"))
        for key in ("R", "T", "m"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is main  # no dialog, no crash: a notice instead
        assert notes(app).count("只能确认") == 3


async def test_L_switches_every_label_live(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["unassigned"]
        pane.move_cursor(row=row_of(pane, "MT1003"))
        assert "待分配订单" in str(pane.border_title)
        await pilot.press("L")
        await pilot.pause()
        assert "Unassigned orders" in str(pane.border_title)
        assert [str(c.label) for c in pane.columns.values()][:2] == ["Order", "Age"]
        assert "backlog 35m" in main.header.render_text(T0).plain
        assert "URG" in texts(pane)[row_of(pane, "MT1001")]
        assert pane.selected().order_no == "MT1003"  # the cursor kept its order
        assert "assign to a store" in str(main.query_one("#keybar").render())
        await pilot.press("L")
        await pilot.pause()
        assert "待分配订单" in str(pane.border_title)


async def test_slash_filters_the_focused_pane_and_esc_clears(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["unassigned"]
        await type_text(pilot, "/MT100[23]")
        await pilot.press("enter")
        await pilot.pause()
        orders = [line for line in texts(pane) if "MT" in line]
        assert len(orders) == 2 and all("MT1002" in o or "MT1003" in o for o in orders)
        assert "MT100[23]" in str(pane.border_subtitle)
        await type_text(pilot, "/")
        await pilot.press("ctrl+u")  # start over
        await type_text(pilot, "!MT1002")
        await pilot.press("enter")
        await pilot.pause()
        assert not any("MT1002" in line for line in texts(pane))
        assert any("MT1001" in line for line in texts(pane))
        await pilot.press("escape")
        await pilot.pause()
        assert any("MT1002" in line for line in texts(pane))
        assert not pane.filter_text


async def test_colon_commands_open_assign_and_filter_by_store(ctx: AppContext, make_app: Any,
                                                             shift: dict[str, int]) -> None:
    from ops_console.tui.screens import OrderDetailScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await type_text(pilot, ":assign MT1003 S01")
        await pilot.press("enter")
        main = await settle(pilot)
        assert status_of(ctx, "MT1003") == "assigned"
        assert any("MT1003" in line for line in texts(main.panes["picking"]))
        await type_text(pilot, ":store S02")
        await pilot.press("enter")
        await pilot.pause()
        picking = texts(main.panes["picking"])
        assert any("MT1006" in line for line in picking) and not any("MT1005" in line for line in picking)
        await pilot.press("2", "escape")
        await pilot.pause()
        assert any("MT1005" in line for line in texts(main.panes["picking"]))
        await type_text(pilot, ":or")
        cmdline = main.query_one("#cmdline")
        await wait_until(pilot, lambda: cmdline._suggestion == "order")
        await pilot.press("tab")  # completes the command name
        assert main.query_one("#cmdline").value == "order"
        await type_text(pilot, " MT1001")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderDetailScreen))


async def test_sort_keys_reorder_by_column(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["unassigned"]
        before = [line for line in texts(pane) if "MT" in line]
        assert before[0].find("MT1001") >= 0  # urgent first
        await pilot.press("greater_than_sign")  # by order number
        await pilot.press("greater_than_sign")  # by age: the longest waiting first
        await pilot.pause()
        after = [line for line in texts(pane) if "MT" in line]
        assert "MT1002" in after[0]
        assert "Age" in str(pane.border_subtitle) or "等待" in str(pane.border_subtitle)
        await pilot.press("less_than_sign", "less_than_sign")
        await pilot.pause()
        assert [line for line in texts(pane) if "MT" in line] == before


async def test_z_pauses_live_updates(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("z")
        assert main.paused and "已暂停" in main.header.render_text(T0).plain
        perform(ctx, shift["MT1005"], Action.START_PICKING, DISPATCHER)
        await pilot.pause(0.4)
        picking = main.panes["picking"]
        assert "待拣" in texts(picking)[row_of(picking, "MT1005")]
        await pilot.press("z")
        await wait_until(pilot, lambda: "拣货中" in texts(picking)[row_of(picking, "MT1005")])


async def test_question_mark_lists_every_key(make_app: Any, shift: dict[str, int]) -> None:
    from ops_console.tui.help import HelpScreen
    from ops_console.tui.keys import KEYS

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = app.screen.query_one("Static").content
        text = "".join(seg.text for seg in app.console.render(shown, app.console.options.update(width=120)))
        for k in KEYS:
            assert k.shown in text
        assert "分配门店" in text and "确认" in text


async def test_ctrl_p_offers_actions_by_name(make_app: Any, shift: dict[str, int]) -> None:
    from textual.command import CommandPalette

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        titles = [c.title for c in app.get_system_commands(main)]
        assert "开始拣货" in titles and "配送员上/下岗" in titles
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))


async def test_q_asks_before_quitting(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is not main)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        assert app.is_running
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is not main)
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)


async def test_role_decides_what_is_offered(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app(actor=CS)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "picking", "MT1005")
        assert "开始拣货" not in str(main.query_one("#keybar").render())
        await pilot.press("p")
        await pilot.pause()
        assert "客服无权执行“开始拣货”" in notes(app)
        assert status_of(ctx, "MT1005") == "assigned"


async def test_sign_in_asks_operator_and_pin(make_app: Any, shift: dict[str, int]) -> None:
    from textual.widgets import Input

    from ops_console.tui.signin import SignInScreen

    app = make_app(actor=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await type_text(pilot, "U02")
        await pilot.press("enter")
        await type_text(pilot, "9999")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "PIN" in str(app.screen.query_one("#signin-error").render())
                         or "错误" in str(app.screen.query_one("#signin-error").render()))
        assert app.screen.query_one("#pin", Input).value == ""
        await type_text(pilot, "1234")
        await pilot.press("enter")
        main = await settle(pilot)
        assert main.actor.id == "U02"
        assert "李娜 (客服)" in main.header.render_text(T0).plain


async def test_operator_option_asks_only_the_pin(make_app: Any, shift: dict[str, int]) -> None:
    from ops_console.tui.signin import SignInScreen

    app = make_app(actor=None, operator_id="U01")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await type_text(pilot, "1234")
        await pilot.press("enter")
        main = await settle(pilot)
        assert main.actor.id == "U01"


async def test_sign_in_takes_keys_typed_ahead_and_spends_a_second_enter(make_app: Any,
                                                                        shift: dict[str, int]) -> None:
    """A dispatcher types `U01 ⏎ 1234 ⏎ ⏎` faster than the screen follows: the id lands in the id field,
    the PIN in the PIN field, they sign in, and the extra Enter opens no order on the main screen."""
    from textual import events
    from textual.widgets import Input

    from ops_console.tui.signin import SignInScreen

    app = make_app(actor=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        # Empty fields read as hints, not as values someone typed (it used to say `U01` and `••••`).
        assert app.screen.query_one("#operator", Input).placeholder == "工号,如 U01"
        assert app.screen.query_one("#pin", Input).placeholder == "输入 PIN 码"
        for key in ("U", "0", "1", "enter", "1", "2", "3", "4", "enter", "enter"):  # one burst, no pauses
            app.post_message(events.Key(key, "\r" if key == "enter" else key))
        main = await settle(pilot)
        assert main.actor.id == "U01"
        await pilot.pause(0.6)
        assert app.screen is main  # no order detail opened by the spare Enter
