"""The reminder checks inside the console (Pilot): the scheduler runs on the app's loop, a critical
backlog reminder rings the bell, shows in the alert feed, in a notification that stays, and in the
header; `k` acknowledges it (who and when) and the notification goes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.services.context import AppContext
from ops_console.storage.db import read_session
from ops_console.storage.models import Reminder
from tests.conftest import T0
from tests.factories import new_order, seed_city
from tests.tui.conftest import SIZE, row_of, settle, texts, wait_until

NOWHERE = "无名路1号"


def notes(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_critical_backlog_reminder_reaches_the_feed_and_header_and_shift_a_acknowledges_it(
        ctx: AppContext, clock: ManualClock, make_app: Any) -> None:
    seed_city(ctx)
    clock.set(T0 - timedelta(minutes=31))
    new_order(ctx, "MT001", address=NOWHERE)
    clock.set(T0)
    app = make_app(scheduler=True)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await wait_until(pilot, lambda: app.reminder_alerts.runs > 0 and len(notes(app)) >= 2, timeout=10)
        main = await settle(pilot)
        pane = main.panes["alerts"]
        row = row_of(pane, "待分配严重积压")
        assert "严重" in texts(pane)[row]
        assert bells == [1]  # the critical one rings; the warning does not
        assert any("MT001" in n and "31" in n for n in notes(app))
        header = main.header.render_text(T0).plain
        assert "检查上次运行 10:00:00" in header
        assert "未处理告警 2" in header

        await pilot.press("4")
        pane.move_cursor(row=row)
        await pilot.press("A", "enter")  # acknowledge, then yes
        main = await settle(pilot)
        with read_session(ctx.engine) as s:
            crit = s.exec(select(Reminder).where(Reminder.kind == "backlog_critical")).one()
        assert (crit.status, crit.acknowledged_by, crit.acknowledged_at) == ("acknowledged", "U01", T0)
        assert "已确认" in texts(pane)[row_of(pane, "待分配严重积压")]
        assert "未处理告警 1" in main.header.render_text(T0).plain
        await wait_until(pilot, lambda: 1 not in app.reminder_alerts.sticky and not app.reminder_alerts.sticky)
        assert not any("超过 30 分钟上限" in n for n in notes(app))  # the sticky notification went


async def test_tests_can_switch_the_scheduler_off(ctx: AppContext, clock: ManualClock, make_app: Any) -> None:
    seed_city(ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.reminder_alerts is None


class _FakeApp:
    """Just what ReminderAlerts calls on an app."""

    def __init__(self) -> None:
        self.posted: list[Any] = []
        self.messages: list[Any] = []  # everything else posted up (reload requests, scheduler runs)
        self.notes: list[str] = []
        self.bells = 0
        self.withdrawn: list[Any] = []
        self.main = None

    def post_message(self, message: Any) -> None:
        if hasattr(message, "notification"):
            self.posted.append(message.notification)
        else:
            self.messages.append(message)

    def notify(self, message: str, **_: Any) -> None:
        self.notes.append(message)

    def bell(self) -> None:
        self.bells += 1

    def _unnotify(self, note: Any) -> None:
        self.withdrawn.append(note)


def _change(change: str, rid: int, severity: str = "warning") -> Any:
    from ops_console.services.reminders import ReminderChange, ReminderView

    view = ReminderView(rid, "picking_overdue", severity, f"order:{rid}", "open", T0, T0, 1, None, None, None, None,
                        "reminders.msg.backlog_count", {"count": rid, "limit": 20})
    return ReminderChange(change, T0, view)


def test_many_reminders_at_once_make_one_note_but_every_critical_rings() -> None:
    from ops_console.tui.reminders import ReminderAlerts

    app = _FakeApp()
    alerts = ReminderAlerts(app)
    alerts.on_change([_change("raised", i) for i in range(1, 6)] + [_change("raised", 9, "critical")])
    assert len(app.notes) == 1 and "5" in app.notes[0]  # one summary for the five warnings
    assert len(app.posted) == 1 and app.posted[0].severity == "error"  # the critical one, on its own
    assert app.bells == 1 and set(alerts.sticky) == {9}
    assert [type(m).__name__ for m in app.messages] == ["RemindersChanged"]  # the panes reload
    alerts.on_change([_change("closed", 9, "critical")])  # its condition ended: the note goes
    assert app.withdrawn == app.posted and alerts.sticky == {}
