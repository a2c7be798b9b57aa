"""The console's undo of a delivery (services/undo.py): the reverse step as its own event, cash
booked back, refused when the order moved on or the moment passed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.domain.types import Action
from ops_console.services.context import AppContext
from ops_console.services.errors import Conflict, Refused
from ops_console.services.lifecycle import perform
from ops_console.services.undo import undo
from ops_console.storage.db import read_session
from ops_console.storage.models import CashEntry, Event, Order
from tests.conftest import DISPATCHER, T0
from tests.factories import new_order, seed_city


def _on_the_road(ctx: AppContext, clock: ManualClock, no: str, payment: str = "online") -> int:
    clock.set(T0 - timedelta(minutes=30))
    oid = new_order(ctx, no, payment=payment).order_id
    for action, params in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}),
                           (Action.FINISH_PICKING, {}), (Action.DISPATCH, {"courier_id": "C01"}),
                           (Action.HAND_OVER, {"till_receipt": "R-1"}), (Action.CALL, {"outcome": "now"})):
        perform(ctx, oid, action, DISPATCHER, **params)
    clock.set(T0)
    return oid


def test_undo_of_a_cod_delivery_reopens_it_and_books_the_cash_back(ctx: AppContext, clock: ManualClock) -> None:
    seed_city(ctx)
    oid = _on_the_road(ctx, clock, "MT1", payment="cod")
    out = perform(ctx, oid, Action.DELIVER, DISPATCHER)
    clock.advance(seconds=4)
    done = undo(ctx, oid, Action.DELIVER, DISPATCHER, expected_version=out.version)
    assert (done.from_status, done.to_status) == ("delivered", "out_for_delivery")
    with read_session(ctx.engine) as s:
        order = s.get(Order, oid)
        assert order.status == "out_for_delivery" and order.delivered_at is None
        last = s.exec(select(Event).where(Event.order_id == oid).order_by(Event.id.desc())).first()
        assert last.action == "undo" and last.detail["undoes"] == "deliver"
        cash = s.exec(select(CashEntry.amount).where(CashEntry.order_id == oid)).all()
        assert sum(cash) == 0 and len(cash) == 2  # booked, then booked back: the ledger keeps both
    perform(ctx, oid, Action.DELIVER, DISPATCHER)  # and it can be delivered again


def test_undo_is_refused_when_the_order_moved_on_or_too_late(ctx: AppContext, clock: ManualClock) -> None:
    seed_city(ctx)
    oid = _on_the_road(ctx, clock, "MT2")
    out = perform(ctx, oid, Action.DELIVER, DISPATCHER)
    perform(ctx, oid, Action.CONFIRM, DISPATCHER)
    with pytest.raises(Conflict):
        undo(ctx, oid, Action.DELIVER, DISPATCHER, expected_version=out.version)
    oid = _on_the_road(ctx, clock, "MT3")
    out = perform(ctx, oid, Action.DELIVER, DISPATCHER)
    clock.advance(minutes=5)
    with pytest.raises(Refused):
        undo(ctx, oid, Action.DELIVER, DISPATCHER, expected_version=out.version)
