"""Snapshots of the order detail, the assign dialog and the phone order form, in both languages,
with a fixed clock, fixed data and a fixed terminal size. Update with `--snapshot-update` after a
deliberate change, and look at the SVGs before committing them."""

from __future__ import annotations

from typing import Any

import pytest

from ops_console.domain.types import Action
from ops_console.i18n import set_language
from ops_console.services.lifecycle import perform
from ops_console.storage.db import write_session
from ops_console.storage.models import Anomaly, Order, Reminder
from ops_console.tui.screens import AssignScreen, OrderDetailScreen, PhoneOrderScreen
from tests.conftest import DISPATCHER, SUPERVISOR
from tests.factories import new_order
from tests.tui.screens.conftest import SIZE, Harness, no_blink, settle

LANGUAGES = ["zh_CN", "en"]


async def steady(pilot: Any) -> None:
    await settle(pilot)
    no_blink(pilot.app)
    await pilot.pause()


def detail_order(ctx) -> int:
    oid = new_order(ctx, "MT9001", payment="cod", address="阳光小区3栋2单元501").order_id
    steps = (
        (2, Action.CLAIM, DISPATCHER, {}),
        (1, Action.ASSIGN, DISPATCHER, {"store_id": "S01", "method": "suggested"}),
        (1, Action.START_PICKING, DISPATCHER, {}),
        (3, Action.REPORT_SHORTAGE, DISPATCHER, {"resolution": "substitute", "note": "上海青换小白菜"}),
        (2, Action.FINISH_PICKING, DISPATCHER, {}),
        (4, Action.ESCALATE, SUPERVISOR, {"reason": "no_free_courier"}),
        (1, Action.DISPATCH, DISPATCHER, {"courier_id": "C03"}),
    )
    for minutes, action, actor, params in steps:
        ctx.clock.advance(minutes=minutes)
        perform(ctx, oid, action, actor, **params)
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        o = s.get(Order, oid)
        o.urgent = True
        o.remarks = "请先电话联系,放门口"
        s.add(Anomaly(rule="picking_overdue", severity="warning", order_id=oid, fingerprint="po:MT9001",
                      first_seen=now, last_seen=now, count=1))
        s.add(Reminder(kind="courier_wait", dedup_key=f"courier_wait|order:{oid}|1", subject=f"order:{oid}",
                       raised_at=now, last_raised_at=now, raise_count=2,
                       payload={"message": "reminders.msg.courier_wait",
                                "params": {"order": "MT9001", "store": "阳光店", "minutes": 12, "tier": "tier.company",
                                           "next_tier": "tier.third_party"},
                                "refs": ["tier", "next_tier"]}))
    return oid


@pytest.mark.parametrize("lang", LANGUAGES)
def test_order_detail(city, snap_compare, lang: str) -> None:
    set_language(lang)
    oid = detail_order(city)
    app = Harness(lambda: OrderDetailScreen(city, DISPATCHER, oid))
    assert snap_compare(app, terminal_size=(SIZE[0], 56), run_before=steady)  # tall enough for the whole history


@pytest.mark.parametrize("lang", LANGUAGES)
def test_assign_dialog(city, snap_compare, lang: str) -> None:
    set_language(lang)
    oid = new_order(city, "MT9002", address="幸福里5栋301(河畔花园对面)").order_id
    with write_session(city.engine) as s:
        o = s.get(Order, oid)
        o.match_reason = "no keyword"
        o.suggestions = [{"store_id": "S02", "score": 0.82, "reason": "context"},
                         {"store_id": "S01", "score": 0.35, "reason": "fuzzy"}]
    app = Harness(lambda: AssignScreen(city, DISPATCHER, [oid]))
    assert snap_compare(app, terminal_size=SIZE, run_before=steady)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_phone_order_form_with_problems(city, snap_compare, lang: str) -> None:
    set_language(lang)
    app = Harness(lambda: PhoneOrderScreen(city, DISPATCHER))

    async def typed(pilot: Any) -> None:
        await settle(pilot)
        form = pilot.app.screen
        for widget_id, value in (("customer_name", "赵女士"), ("phone", "1381234"), ("sku-0", "P001"),
                                 ("qty-0", "2"), ("sku-1", "G001"), ("qty-1", "1.5")):
            form.query_one(f"#{widget_id}").value = value
        await pilot.press("ctrl+s")
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=typed)
