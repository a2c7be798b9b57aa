"""Amounts typed on the command line: no negative, NaN or absurd cash; a difference needs a reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.config import load_settings
from ops_console.domain.types import Action
from ops_console.services.context import AppContext
from ops_console.services.lifecycle import perform
from ops_console.storage.db import read_session
from ops_console.storage.models import CashEntry
from tests.conftest import DISPATCHER, T0
from tests.factories import new_order, seed_city

Cli = Callable[..., Any]
AS_U01 = {"OPS_OPERATOR": "U01", "OPS_PIN": "1234"}


@pytest.fixture
def on_the_road(cli: Cli) -> Cli:
    """COD order COD1 (7.00 yuan) out for delivery with courier C01, till receipt 7.00."""
    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    new_order(ctx, "COD1", payment="cod")
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}), (Action.FINISH_PICKING, {}),
                       (Action.DISPATCH, {"courier_id": "C01"}), (Action.CALL, {"outcome": "now"})):
        perform(ctx, "COD1", action, DISPATCHER, **kw)
    ctx.close()
    return cli


def ledger() -> list[int]:
    ctx = AppContext.open(load_settings(), ManualClock(T0))
    with read_session(ctx.engine) as s:
        amounts = [c.amount for c in s.exec(select(CashEntry))]
    ctx.close()
    return amounts


@pytest.mark.parametrize("cash", ["-100", "NaN", "1e999999999", "100000000.01", "abc"])
def test_negative_nan_and_absurd_cash_is_refused(on_the_road: Cli, cash: str) -> None:
    out = on_the_road("order", "deliver", "COD1", "--cash", cash, env=AS_U01)
    assert out.exit_code == 2 and "--cash" in out.output and "Traceback" not in out.output
    assert ledger() == []
    assert json.loads(on_the_road("order", "show", "COD1", "--json").output)["status"] == "out_for_delivery"


def test_cash_differing_from_the_amount_due_needs_a_reason(on_the_road: Cli) -> None:
    short = on_the_road("order", "deliver", "COD1", "--cash", "6.00", env=AS_U01)
    assert short.exit_code == 1 and "--reason" in short.output and "1.00" in short.output
    assert ledger() == []
    done = on_the_road("order", "deliver", "COD1", "--cash", "6.00", "--reason", "顾客少付一元,已报备", env=AS_U01)
    assert done.exit_code == 0, done.output
    assert ledger() == [600]
    event = json.loads(on_the_road("order", "show", "COD1", "--json").output)["events"][-1]
    assert event["action"] == "deliver"
    assert event["detail"]["cash_reason"] == "顾客少付一元,已报备" and event["detail"]["cash_difference"] == "-1.00"


def test_within_the_tolerance_no_reason_is_needed(on_the_road: Cli) -> None:
    done = on_the_road("order", "deliver", "COD1", "--cash", "6.50", env=AS_U01 | {"OPS_CASH__TOLERANCE": "0.50"})
    assert done.exit_code == 0, done.output
    assert ledger() == [650]


def test_nothing_collected_is_booked_as_nothing(on_the_road: Cli) -> None:
    done = on_the_road("order", "deliver", "COD1", "--cash", "0", "--reason", "顾客已线上补付", env=AS_U01)
    assert done.exit_code == 0, done.output
    assert ledger() == [0]
