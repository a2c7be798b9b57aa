"""`report_shortage` on a line: the line is marked, `partial` lowers the amount (and owes the customer the
difference when paid online), and a wrong line or quantity is refused with a message, changing nothing."""

from __future__ import annotations

import pytest

from ops_console.domain.types import Action
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import order_history, order_lines, perform
from tests.conftest import DISPATCHER
from tests.factories import new_order


def picking(ctx, no: str, **kw) -> int:
    oid = new_order(ctx, no, qty=4, **kw).order_id  # 4 × 3.50 = 14.00
    perform(ctx, oid, Action.ASSIGN, DISPATCHER, store_id="S01")
    perform(ctx, oid, Action.START_PICKING, DISPATCHER)
    return oid


def test_partial_marks_the_line_lowers_the_amount_and_owes_the_online_payer(city) -> None:
    oid = picking(city, "MT1")
    perform(city, oid, Action.REPORT_SHORTAGE, DISPATCHER, resolution="partial", line_no=1, available="1")
    order, events = order_history(city, oid)
    (line,) = order_lines(city, oid)
    assert (line.picked_qty, order.amount) == (1, 350)
    assert (events[-1].detail["amount_before"], events[-1].detail["amount_after"]) == ("14.00", "3.50")
    assert events[-1].detail["refund_due"] == "10.50"


def test_substitute_and_wait_keep_the_amount(city) -> None:
    oid = picking(city, "MT1", payment="cod")
    perform(city, oid, Action.REPORT_SHORTAGE, DISPATCHER, resolution="substitute", line_no=1, available=0,
            substitute_sku="P002")
    order, events = order_history(city, oid)
    (line,) = order_lines(city, oid)
    assert (line.picked_qty, line.substitute_sku, order.amount) == (0, "P002", 1400)
    assert "refund_due" not in events[-1].detail


@pytest.mark.parametrize(("params", "says"), [
    ({"line_no": 2, "available": 1}, "没有第 2 行"),
    ({"line_no": 1, "available": 4}, "小于订购数量 4"),
    ({"line_no": 1, "available": -1}, "不小于 0"),
    ({"line_no": 1, "available": "abc"}, "不是数字"),
    ({"line_no": 1}, "现有数量"),
    ({"available": 1}, "选择缺货的商品行"),
])
def test_a_wrong_line_or_quantity_is_refused_and_changes_nothing(city, params, says) -> None:
    oid = picking(city, "MT1")
    with pytest.raises(Refused) as refused:
        perform(city, oid, Action.REPORT_SHORTAGE, DISPATCHER, resolution="partial", **params)
    assert says in str(refused.value)
    order, events = order_history(city, oid)
    assert (events[-1].action, order.amount, order_lines(city, oid)[0].picked_qty) == ("start_picking", 1400, None)


def test_a_line_is_reported_short_once(city) -> None:
    oid = picking(city, "MT1")
    perform(city, oid, Action.REPORT_SHORTAGE, DISPATCHER, resolution="wait", line_no=1, available=2)
    with pytest.raises(Refused):
        perform(city, oid, Action.REPORT_SHORTAGE, DISPATCHER, resolution="partial", line_no=1, available=1)
    assert order_history(city, oid)[0].amount == 1400
