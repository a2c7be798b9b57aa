"""The lifecycle refuses bad cash amounts from any front end (the console passes fen directly)."""

from __future__ import annotations

import pytest

from ops_console.domain.types import Action
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import order_history, perform
from tests.conftest import DISPATCHER
from tests.factories import new_order


def _dispatched(ctx, category: str = "default") -> None:
    # Not produce: a weighed order's till total may differ freely (see the weighed test below).
    new_order(ctx, "COD1", payment="cod", category=category)
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}), (Action.FINISH_PICKING, {}),
                       (Action.DISPATCH, {"courier_id": "C01"})):
        perform(ctx, "COD1", action, DISPATCHER, **kw)


@pytest.mark.parametrize("amount", [-1, 10**11, 7.5, True])
def test_a_bad_till_amount_is_refused(city, amount) -> None:
    _dispatched(city)
    before = order_history(city, "COD1")[0].version
    with pytest.raises(Refused):
        perform(city, "COD1", Action.HAND_OVER, DISPATCHER, till_receipt="R-1", till_amount=amount)
    assert order_history(city, "COD1")[0].version == before  # nothing changed


def test_a_till_amount_off_the_order_amount_needs_a_reason_kept_in_the_event(city) -> None:
    _dispatched(city)
    with pytest.raises(Refused, match=r"reason|原因"):
        perform(city, "COD1", Action.HAND_OVER, DISPATCHER, till_receipt="R-1", till_amount=900)
    perform(city, "COD1", Action.HAND_OVER, DISPATCHER, till_receipt="R-1", till_amount=900, cash_reason="加了一袋")
    _order, events = order_history(city, "COD1")
    assert events[-1].detail["cash_reason"] == "加了一袋" and events[-1].detail["cash_difference"] == "2.00"
    # Cash on delivery is then checked against the till's 9.00, not the order's 7.00.
    perform(city, "COD1", Action.CALL, DISPATCHER, outcome="now")
    perform(city, "COD1", Action.DELIVER, DISPATCHER, cod_collected=900)


def test_a_weighed_orders_till_total_needs_no_reason_and_becomes_the_cash_due(city) -> None:
    _dispatched(city, category="produce")
    perform(city, "COD1", Action.HAND_OVER, DISPATCHER, till_receipt="R-1", till_amount=683)
    _order, events = order_history(city, "COD1")
    assert events[-1].detail["till_difference"] == "-0.17"
    perform(city, "COD1", Action.CALL, DISPATCHER, outcome="now")
    with pytest.raises(Refused, match=r"reason|原因"):
        perform(city, "COD1", Action.DELIVER, DISPATCHER, cod_collected=700)  # the order's 7.00, not the till's
    perform(city, "COD1", Action.DELIVER, DISPATCHER, cod_collected=683)
