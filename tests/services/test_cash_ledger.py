"""The courier cash ledger: a day's COD, a cash refund and a compensation, exact to the fen."""

from __future__ import annotations

import pytest

from ops_console.domain.types import Action
from ops_console.services.cash import cash_day, hand_in, issue_float, record_compensation
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import perform
from ops_console.services.service_requests import act, open_request, refund
from ops_console.storage.db import write_session
from ops_console.storage.models import Courier
from tests.conftest import CS, DISPATCHER, SUPERVISOR
from tests.factories import new_order


def deliver(ctx, no: str, courier: str, *, payment: str = "cod", till: int | None = None, qty: float = 2,
            cash: int | None = None) -> None:
    new_order(ctx, no, payment=payment, qty=qty)
    perform(ctx, no, Action.ASSIGN, DISPATCHER, store_id="S01")
    perform(ctx, no, Action.START_PICKING, DISPATCHER)
    perform(ctx, no, Action.FINISH_PICKING, DISPATCHER)
    if courier == "C03":
        perform(ctx, no, Action.ESCALATE, DISPATCHER, reason="courier_at_capacity")
    perform(ctx, no, Action.DISPATCH, DISPATCHER, courier_id=courier)
    perform(ctx, no, Action.HAND_OVER, DISPATCHER, till_receipt=f"T-{no}", till_amount=till)
    perform(ctx, no, Action.CALL, DISPATCHER, outcome="now")
    perform(ctx, no, Action.DELIVER, DISPATCHER, cod_collected=cash)


def test_a_days_cod_a_cash_refund_and_a_compensation_give_each_couriers_expected_cash(city) -> None:
    ctx = city
    with write_session(ctx.engine) as s:
        c03 = s.get(Courier, "C03")
        c03.cash_float = 5000  # this third-party courier carries 50.00 of change, not the default 200.00
        s.add(c03)
    # C01: weighed produce ordered at 1.5 × 3.50 = 5.25, rung up at the till as 5.47; a plain COD order of
    # 2 × 3.50 = 7.00 with no till amount; an online order (no cash).
    deliver(ctx, "W1", "C01", qty=1.5, till=547)
    deliver(ctx, "W2", "C01")
    deliver(ctx, "W3", "C01", payment="online")
    # C03: delivers a COD order (the courier reports 7.00 in cash), then pays a 3.33 cash refund on it.
    deliver(ctx, "W4", "C03", cash=700)
    r = open_request(ctx, "W4", "refund", "少送一份", CS)
    act(ctx, r.id, "confirm", CS)
    act(ctx, r.id, "contact", CS)
    refund(ctx, r.id, "cash", CS, courier_id="C03", amount=333)
    # The emergency team compensates a customer 15.20 for goods it damaged.
    record_compensation(ctx, "C05", 1520, "撞坏了门口的花盆", DISPATCHER, order_ref="W2")

    lines = {x.courier_id: x for x in cash_day(ctx)}
    assert list(lines) == ["C01", "C03", "C05"]  # by tier: the emergency team is its own, last line
    c01, c03, c05 = lines["C01"], lines["C03"], lines["C05"]
    assert (c01.float, c01.cod_collected, c01.refunds_paid, c01.compensation, c01.expected) == (20000, 1247, 0, 0,
                                                                                             21247)
    assert (c03.float, c03.cod_collected, c03.refunds_paid, c03.expected) == (5000, 700, 333, 5367)
    assert (c05.tier, c05.float, c05.compensation, c05.expected) == ("emergency", 20000, 1520, 18480)
    assert c05.to_json()["expected"] == "184.80" and c01.to_json()["cod_collected"] == "12.47"

    # Cash handed in is shown beside what is expected; the next business day starts empty.
    assert hand_in(ctx, "C01", 10000, DISPATCHER).outstanding == 11247
    ctx.clock.advance(days=1)
    assert cash_day(ctx) == []


def test_a_booked_float_replaces_the_standard_one_and_tops_up(city) -> None:
    ctx = city
    assert issue_float(ctx, "C02", DISPATCHER, 10000) == 10000
    issue_float(ctx, "C02", DISPATCHER, 2550)
    (line,) = cash_day(ctx)
    assert (line.courier_id, line.float, line.expected) == ("C02", 12550, 12550)


def test_compensation_is_the_emergency_teams_and_needs_a_text(city) -> None:
    with pytest.raises(Refused):
        record_compensation(city, "C01", 100, "x", DISPATCHER)
    with pytest.raises(Refused):
        record_compensation(city, "C05", 100, "  ", DISPATCHER)
    with pytest.raises(Refused):
        record_compensation(city, "C05", 0, "x", DISPATCHER)
    with pytest.raises(Refused):
        hand_in(city, "C05", 100, CS)  # customer service books no courier cash
    assert cash_day(city) == []


def test_a_couriers_own_float_comes_from_the_couriers_file(city, tmp_path) -> None:
    from ops_console.services.masterdata import import_couriers

    ctx = city
    path = tmp_path / "couriers.csv"
    path.write_text("配送员编号,姓名,层级,门店编号,运力,备用金\nC01,刘一,company,S01,3,80.50\nC02,陈二,company,S02,3,\n",
                    encoding="utf-8")
    result = import_couriers(ctx, path, SUPERVISOR)
    assert result.ok and result.updated == 1 and result.unchanged == 1, result
    issue_float(ctx, "C03", DISPATCHER)  # the standard float, as the file says
    deliver(ctx, "F1", "C01")
    assert {x.courier_id: x.float for x in cash_day(ctx)} == {"C01": 8050, "C03": 20000}
    # A file without the column leaves the floats alone.
    path.write_text("courier_id,name,tier,store_id,capacity\nC01,刘一,company,S01,3\n", encoding="utf-8")
    assert import_couriers(ctx, path, SUPERVISOR).unchanged == 1
    assert {x.courier_id: x.float for x in cash_day(ctx)}["C01"] == 8050
