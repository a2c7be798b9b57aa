"""The console over a throwaway database, a ManualClock and a fixed small city: every test sees the
same orders at the same ages, so what the screen shows can be asserted exactly."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ops_console.clock import ManualClock
from ops_console.domain.types import Action
from ops_console.services.context import AppContext
from ops_console.services.lifecycle import perform
from ops_console.storage.db import write_session
from ops_console.storage.models import Anomaly, Order, Reminder
from ops_console.tui.app import MainScreen, OpsConsoleApp
from tests.conftest import DISPATCHER, T0
from tests.factories import new_order, seed_city

SIZE = (180, 45)


def at(clock: ManualClock, minutes_ago: float) -> None:
    clock.set(T0 - timedelta(minutes=minutes_ago))


def build_shift(ctx: AppContext, clock: ManualClock) -> dict[str, int]:
    """Nine orders in every pane, one reminder, one anomaly; the clock ends at T0 (10:00 Shanghai)."""
    seed_city(ctx)
    ids: dict[str, int] = {}

    def order(no: str, minutes_ago: float, **kw: Any) -> int:
        at(clock, minutes_ago)
        out = new_order(ctx, no, **kw)
        ids[no] = out.order_id
        return out.order_id

    def act(no: str, minutes_ago: float, action: Action, **params: Any) -> None:
        at(clock, minutes_ago)
        perform(ctx, ids[no], action, DISPATCHER, **params)

    order("MT1001", 12)
    order("MT1002", 35, payment="cod")
    order("MT1003", 2)
    order("MT1004", 20, price=999)  # the price does not match the catalogue: manual review
    order("MT1005", 40)
    act("MT1005", 3, Action.ASSIGN, store_id="S01")
    order("MT1006", 40, address="河畔花园1栋")
    act("MT1006", 7, Action.ASSIGN, store_id="S02")
    act("MT1006", 6, Action.START_PICKING)
    order("MT1007", 50)
    act("MT1007", 20, Action.ASSIGN, store_id="S01")
    act("MT1007", 15, Action.START_PICKING)
    act("MT1007", 4, Action.FINISH_PICKING)
    order("MT1008", 60)
    act("MT1008", 40, Action.ASSIGN, store_id="S01")
    act("MT1008", 35, Action.START_PICKING)
    act("MT1008", 30, Action.FINISH_PICKING)
    act("MT1008", 9, Action.DISPATCH, courier_id="C01")
    order("MT1009", 90)
    act("MT1009", 80, Action.ASSIGN, store_id="S01")
    act("MT1009", 75, Action.START_PICKING)
    act("MT1009", 70, Action.FINISH_PICKING)
    act("MT1009", 60, Action.DISPATCH, courier_id="C01")
    act("MT1009", 55, Action.HAND_OVER, till_receipt="R-88")
    act("MT1009", 50, Action.CALL, outcome="now")
    clock.set(T0)
    with write_session(ctx.engine) as s:
        o1 = s.get(Order, ids["MT1001"])
        o1.urgent = True
        o3 = s.get(Order, ids["MT1003"])
        o3.suggestions = [{"store_id": "S01", "score": 0.82, "reason": "fuzzy"}]
        o3.match_reason = "no_keyword"
        s.add(Reminder(kind="backlog_critical", severity="critical", dedup_key="backlog_critical:queue:1",
                       subject="queue", status="open", raised_at=T0 - timedelta(minutes=5),
                       last_raised_at=T0 - timedelta(minutes=1), raise_count=3, payload={}))
        s.add(Anomaly(rule="amount_cap", severity="warning", order_id=ids["MT1002"], fingerprint="amount_cap:MT1002",
                      first_seen=T0 - timedelta(minutes=30), last_seen=T0 - timedelta(minutes=30), status="open"))
    return ids


@pytest.fixture
def shift(ctx: AppContext, clock: ManualClock) -> dict[str, int]:
    return build_shift(ctx, clock)


@pytest.fixture
def make_app(ctx: AppContext) -> Callable[..., OpsConsoleApp]:
    def make(**kw: Any) -> OpsConsoleApp:
        kw.setdefault("actor", DISPATCHER)
        kw.setdefault("database", "ops.db")
        kw.setdefault("poll_seconds", 0.05)
        kw.setdefault("scheduler", False)  # no reminder checks unless a test asks for them
        return OpsConsoleApp(ctx, **kw)

    return make


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the console did not get there in time")
        await pilot.pause(0.02)


async def settle(pilot: Any) -> MainScreen:
    """Let every worker finish, then one full refresh land: the screen shows the database as it is."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, MainScreen) or app.main is not None)
    main: MainScreen = app.main
    await app.workers.wait_for_complete()
    await wait_until(pilot, lambda: main.loads > 0)
    n = main.loads
    main.refresh_now(force=True)
    await wait_until(pilot, lambda: main.loads > n and not main._loading)
    await pilot.pause()
    return main


def texts(pane: Any) -> list[str]:
    """The pane's rows as they read on screen, top to bottom."""
    return [" ".join(str(c) for c in pane.get_row_at(i)).strip() for i in range(pane.row_count)]


def row_of(pane: Any, order_no: str) -> int:
    for i, line in enumerate(texts(pane)):
        if order_no in line:
            return i
    raise AssertionError(f"{order_no} is not in pane {pane.pane_id}: {texts(pane)}")
